"""Text banks for the generated demo corpus (:mod:`curation.demo.corpus`).

Everything here is hand-written data: sentences per language and topic, encyclopedic fact templates,
LaTeX fragments, math question makers and code templates. Prose templates use ``{slot}`` for a named
slot (filled per document, see :data:`SLOT_WORDS`) and ``{a|b|c}`` for a choice between
alternatives; LaTeX and code templates use ``⟦slot⟧`` / ``⟦a|b⟧`` instead, because braces are part of
their syntax. The banks are plain tuples and dicts of tuples so that iteration order is fixed.
"""

from __future__ import annotations

import random
from collections import Counter
from math import comb, factorial, gcd

# ---------------------------------------------------------------------------------------------
# Web prose (cc): English, by topic. Each topic: (titles, sentences).
# ---------------------------------------------------------------------------------------------

EN_TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cooking": (
        (
            "How to make a proper {soup|stew|risotto} at home",
            "Weeknight dinners that take {min}",
            "What I learned from a year of baking bread",
            "{name}'s guide to cooking with seasonal vegetables",
        ),
        (
            "Start by heating {two|three|four} tablespoons of olive oil in a heavy pan over medium heat.",
            "Chop the onions finely and fry them until they turn soft and golden, which usually takes about {min}.",
            "My grandmother always added a pinch of sugar to the tomato sauce to balance the acidity.",
            "Bread dough needs time, so let it rise in a warm place for at least {hours}.",
            "If the sauce gets too thick, add a splash of the pasta water instead of plain water.",
            "Season the meat generously with salt and pepper before it goes into the oven.",
            "A sharp knife is safer than a dull one because it does not slip on the skin of a tomato.",
            "We served the stew with rice and a simple salad of cucumbers, dill and sour cream.",
            "Roast the pumpkin at {oven} until the edges start to caramelise.",
            "The recipe serves {people}, but it is easy to double for a larger family dinner.",
            "Fresh herbs such as parsley and basil should be added at the very end so they keep their flavour.",
            "Leftovers keep well in the fridge for {days} in a closed container.",
            "{name} swears that the secret of a good omelette is low heat and a lot of patience.",
            "Soak the beans overnight, then simmer them slowly until they are tender but not falling apart.",
            "For the dessert we baked an apple pie with cinnamon and served it warm with vanilla ice cream.",
            "Taste the dish before serving and adjust the salt, because every stock is different.",
        ),
    ),
    "rail_travel": (
        (
            "By train from {city} to {city2}: a travel diary",
            "Night trains are back, and I love them",
            "Ten tips for your first long rail journey",
        ),
        (
            "The night train from {city} leaves at {clock} and arrives the next morning.",
            "We booked a sleeper compartment for two, which cost about {price} per person.",
            "The journey of {km_long} took a little over {hours}, with a short stop at the border.",
            "From the window we watched forests, frozen lakes and small villages slowly pass by.",
            "The conductor brought us tea in glass cups with metal holders, an old tradition on this line.",
            "Tickets for regional trains can be bought at the station or through the operator's app.",
            "Our connection was delayed by {min}, so we nearly missed the last bus to the hotel.",
            "Rail passes are worth it only if you plan to take several long trips within a few weeks.",
            "The dining car served a simple menu of soup, goulash and pancakes at reasonable prices.",
            "Bring slippers, a water bottle and some snacks, because the journey is long and the shop closes early.",
            "The old station building in {city} was built in {rail_year} and still has its original clock tower.",
            "High-speed trains now cover the route in half the time it took a decade ago.",
            "{name} prefers a seat facing forward and always books it weeks in advance.",
            "We changed trains twice and still arrived earlier than we would have by car.",
            "The line crosses a long bridge over the river just before the final station.",
        ),
    ),
    "astronomy": (
        (
            "What to see in the night sky in {month_name}",
            "A beginner's guide to backyard astronomy",
            "Observing the planets with a small telescope",
        ),
        (
            "Jupiter will be visible low in the eastern sky shortly after sunset this {month_name}.",
            "Even a small telescope shows the four largest moons of Jupiter as tiny points of light.",
            "The Perseid meteor shower peaks in mid-August, when you can see up to {num2} meteors per hour.",
            "Light pollution from cities hides most of the faint stars, so drive at least {km} away from town.",
            "Saturn's rings are tilted toward us this year, which makes them easy to spot.",
            "Let your eyes adapt to the darkness for about twenty minutes before you start observing.",
            "The Andromeda galaxy is the most distant object you can see with the naked eye.",
            "A red flashlight helps you read star charts without ruining your night vision.",
            "Binoculars are often a better first instrument than a cheap telescope on a shaky mount.",
            "Astronomers estimate that the nearest star system lies about 4.2 light years from the Sun.",
            "During a total lunar eclipse the Moon turns a deep red because of light bent by the Earth's atmosphere.",
            "Our local astronomy club meets on the first Friday of each month in the park observatory.",
            "{name} photographed the Orion Nebula with a {num}-minute exposure from the back garden.",
            "The International Space Station crosses the sky as a bright, steady point that moves quickly.",
            "Venus is so bright at dusk that people often mistake it for an aircraft.",
        ),
    ),
    "football": (
        (
            "Match report: {team} {score} {team2}",
            "Why {team} keeps losing at home",
            "Transfer news and rumours of the week",
        ),
        (
            "{team} won the derby thanks to a late header from their young centre-back.",
            "The visitors dominated possession in the first half but rarely tested the goalkeeper.",
            "A crowd of {big} fans filled the stadium despite the cold and the rain.",
            "The coach made three substitutions after the break, and the game changed completely.",
            "Their striker has scored {num} goals in his last ten matches in all competitions.",
            "The referee awarded a penalty after a long check by the video assistant.",
            "The club confirmed that the midfielder will be out for {weeks} with a knee injury.",
            "{team2} now sit fourth in the table, two points behind the leaders.",
            "Fans were angry about ticket prices, which have risen by {pct} since last season.",
            "The youth academy has produced several players who now play for the national team.",
            "In the second half the home side pressed high and finally equalised in the {minute}th minute.",
            "The transfer fee was not disclosed, but local newspapers reported a figure close to {fee}.",
            "{name_m}, who has supported the club for thirty years, said it was the best game he had ever seen.",
            "After the final whistle the players walked over to thank the supporters in the away end.",
            "The pitch was in poor condition after a week of heavy rain.",
        ),
    ),
    "gardening": (
        (
            "What to plant in {month_name}",
            "Growing tomatoes on a small balcony",
            "My allotment diary, week {num}",
        ),
        (
            "Tomatoes need at least six hours of direct sunlight a day to produce a good crop.",
            "Sow the seeds indoors in early spring and move the seedlings outside after the last frost.",
            "Water the beds in the early morning so the leaves can dry before the evening.",
            "A thick layer of mulch keeps the soil moist and stops most weeds from growing.",
            "We planted {num} rows of potatoes, two of carrots and a long row of beans along the fence.",
            "Aphids can be washed off with a strong jet of water or treated with soapy spray.",
            "Compost from kitchen scraps and fallen leaves is the cheapest fertiliser you will ever find.",
            "Prune the apple trees in late winter while they are still dormant.",
            "{name_f} grows strawberries in hanging baskets, out of reach of slugs and birds.",
            "Raised beds warm up faster in spring and are easier on your back.",
            "Cucumbers like warmth and regular watering, otherwise the fruit turns bitter.",
            "Plant marigolds between the vegetables, because their smell keeps some pests away.",
            "Last summer the harvest was so large that we made {num} jars of tomato sauce.",
            "Check the soil before watering: if it is damp a few centimetres down, wait another day.",
            "Garlic planted in autumn is ready to harvest in early July.",
        ),
    ),
    "city_history": (
        (
            "A short history of {city}",
            "Walking through the old town of {city}",
            "Forgotten buildings of {city}",
        ),
        (
            "The town was first mentioned in a chronicle in {old_year} as a small trading post on the river.",
            "Merchants from the south brought salt, cloth and wine to the market square every autumn.",
            "A great fire in {old_year2} destroyed most of the wooden houses in the centre.",
            "After the fire the city council ordered that new buildings in the centre be built of stone.",
            "The cathedral on the hill took almost forty years to complete.",
            "In the nineteenth century the arrival of the railway turned the town into an industrial centre.",
            "The population grew from a few thousand to more than {big} within fifty years.",
            "Many of the old factories have since been converted into offices, lofts and museums.",
            "The city museum holds a collection of maps, coins and letters from the founding families.",
            "During the war the bridge over the river was destroyed and later rebuilt in its original form.",
            "The main street still follows the route of a medieval road that led to the castle gate.",
            "A local historian, {person}, spent twenty years collecting stories from the oldest residents.",
            "The theatre, opened in {theatre_year}, was the first building in the region with electric lighting.",
            "Guided walking tours of the historic centre start at the town hall every Saturday at {clock}.",
            "Parts of the old city wall can still be seen in the courtyards behind the market.",
        ),
    ),
    "programming": (
        (
            "Why I switched from {lang} to {lang2}",
            "Five mistakes I made in my first year as a developer",
            "Writing tests that actually catch bugs",
        ),
        (
            "Our service started to slow down once the database table grew past {big} rows.",
            "Adding an index on the customer column cut the query time from seconds to milliseconds.",
            "Code review is not about finding someone to blame but about sharing knowledge in the team.",
            "Write the failing test first, then make it pass with the simplest change you can think of.",
            "We moved the build to a continuous integration server, and broken commits became rare.",
            "Most of the bugs we found last month came from unclear error handling at the edges of the system.",
            "{lang} is a good choice for small scripts, but large projects benefit from static types.",
            "Logging every request with a correlation id made debugging production issues much easier.",
            "The new version of the library changed its API, so we had to rewrite {num} modules.",
            "{name} spent a whole afternoon chasing a bug that turned out to be a time zone problem.",
            "Premature optimisation wastes time; measure first and then fix the slowest part.",
            "Keep functions short and give them names that describe what they do.",
            "Our team releases a new version every two weeks, each with a short changelog for users.",
            "Memory usage dropped by {pct} after we stopped loading the whole file into memory.",
            "Pair programming felt slow at first, but it saved us many hours of debugging later.",
        ),
    ),
    "medicine": (
        (
            "How much sleep do adults really need?",
            "Seasonal flu: symptoms and prevention",
            "What your doctor wants you to know about blood pressure",
        ),
        (
            "Adults need seven to nine hours of sleep a night to stay healthy and alert.",
            "Regular physical activity lowers the risk of heart disease and type 2 diabetes.",
            "Typical flu symptoms include fever, muscle aches, a dry cough and extreme tiredness.",
            "Wash your hands with soap for at least twenty seconds, especially before eating.",
            "Blood pressure should be measured while sitting quietly, after resting for five minutes.",
            "Doctors recommend a yearly flu vaccine for older people and those with chronic illness.",
            "Drinking enough water is particularly important during hot weather and physical exercise.",
            "Antibiotics do not work against viruses, so they will not help with a common cold.",
            "A diet rich in vegetables, whole grains and fish supports a healthy heart.",
            "The clinic in {city} now offers evening appointments for people who work during the day.",
            "Chronic stress can raise blood pressure and make it harder to fall asleep.",
            "If chest pain lasts more than a few minutes, call an ambulance immediately.",
            "Dr {surname} says that a short walk after dinner helps to control blood sugar.",
            "In the study, {big} patients were followed for {years} to measure the effect of the treatment.",
            "Children should see a dentist for a check-up at least once a year.",
        ),
    ),
    "weather": (
        (
            "Weather forecast for {city} and the region",
            "Storm warning for the weekend",
            "Why this winter was so warm",
        ),
        (
            "Tomorrow will start cloudy, with light rain spreading from the west in the afternoon.",
            "Temperatures will reach {temp} during the day and fall sharply at night.",
            "A strong wind of up to {num2} metres per second is expected along the coast.",
            "The weather service has issued a warning for heavy snow in the northern districts.",
            "By the weekend a high pressure system will bring dry, sunny weather.",
            "Fog may reduce visibility on the motorways in the early morning.",
            "Last month was the warmest {month_name} since records began more than a century ago.",
            "Rainfall this summer was {pct} below the long-term average, and farmers are worried.",
            "Thunderstorms with hail are possible in the evening, mainly in the hills.",
            "Drivers should expect ice on bridges and minor roads after the clear, cold night.",
            "Meteorologists say that the jet stream has shifted further south than usual.",
            "The river rose by almost two metres after three days of continuous rain.",
            "In {city} the thermometer showed {temp} at noon, a new record for the date.",
            "Next week looks changeable, with short sunny spells between showers.",
            "The first frost of the season is expected in the valleys on Thursday night.",
        ),
    ),
    "music": (
        (
            "Concert review: {band} live in {city}",
            "The records that changed my life",
            "Learning the piano as an adult",
        ),
        (
            "The band opened with a slow acoustic song before the drums kicked in.",
            "The orchestra played Tchaikovsky's fifth symphony to a full house.",
            "Their new album was recorded in just {num} days in a small studio outside {city}.",
            "I started taking piano lessons at forty, and practising every evening became a quiet ritual.",
            "The singer's voice sounded tired at first but grew stronger with every song.",
            "Vinyl sales have grown for {years} in a row, mostly among young listeners.",
            "Learning to read sheet music is slow, but it opens up a huge library of pieces.",
            "The festival lasts three days and features more than {num2} bands on four stages.",
            "{band} played for almost two hours and finished with an encore of their first hit.",
            "Jazz clubs in the old town are small, crowded and full of wonderful musicians.",
            "The guitarist used an old amplifier that gave the sound a warm, slightly dirty tone.",
            "Tickets sold out within {min} of going on sale.",
            "{name} has played the violin in the city orchestra for more than twenty years.",
            "The acoustics of the old church made the choir sound almost unreal.",
            "A good metronome is the cheapest way to improve your sense of rhythm.",
        ),
    ),
    "photography": (
        (
            "Shooting landscapes in winter",
            "Which lens should you buy first?",
            "A weekend of street photography in {city}",
        ),
        (
            "The best light for landscapes comes in the hour after sunrise and the hour before sunset.",
            "A tripod lets you use long exposures to turn moving water into a soft mist.",
            "I shot the whole series with a fifty millimetre lens and never missed a zoom.",
            "Snow fools the camera's light meter, so add one stop of exposure compensation.",
            "Shooting in raw format gives you much more freedom when you edit the pictures later.",
            "Street photography is about patience: find a good background and wait for the right person.",
            "{name} carries a small camera everywhere, because the best photos are often unplanned.",
            "Keep spare batteries in an inside pocket, since the cold drains them very quickly.",
            "A polarising filter darkens the sky and removes reflections from water and glass.",
            "The exhibition in {city} shows {num2} black and white prints from the nineteen sixties.",
            "Always ask for permission before taking a close portrait of a stranger.",
            "Back up your photos in two places, because memory cards fail without warning.",
            "The rule of thirds is a good start, but great pictures often break it.",
            "Wide apertures blur the background and make the subject stand out.",
            "We spent {hours} waiting for the fog to lift over the valley, and it was worth it.",
        ),
    ),
    "cycling": (
        (
            "My first hundred kilometre ride",
            "Commuting by bike through the winter",
            "How to fix a flat tyre in five minutes",
        ),
        (
            "I ride {km} to work every day, and it is faster than the bus during rush hour.",
            "Check the tyre pressure once a week, because soft tyres make every ride harder.",
            "A good set of lights is essential if you ride after dark in autumn and winter.",
            "The route follows an old railway line, so there are no steep climbs.",
            "We stopped for coffee in a small village halfway and watched the rain pass.",
            "Always carry a spare inner tube, tyre levers and a small pump.",
            "The city has built {km} of new bike lanes over the past three years.",
            "Clean and oil the chain regularly, especially after riding on wet, salty roads.",
            "{name_m} finished the mountain stage in {hours}, well ahead of his own target.",
            "Helmets do not prevent accidents, but they greatly reduce the risk of head injuries.",
            "Riding in a group saves energy, since the riders behind sit in the slipstream.",
            "My old steel bike is heavy, but it has survived ten winters without complaint.",
            "Drink before you feel thirsty and eat something small every forty minutes on long rides.",
            "The descent was steep and wet, so we took the corners slowly.",
            "Many trains now have special carriages where you can take your bike for free.",
        ),
    ),
    "fishing": (
        (
            "Autumn pike fishing on the lake",
            "A beginner's guide to fly fishing",
            "Ice fishing: what to bring and how to stay safe",
        ),
        (
            "We arrived at the lake before dawn, when the water was still perfectly calm.",
            "Pike are most active in autumn, when they feed heavily before the winter.",
            "The ice must be at least ten centimetres thick before it is safe to walk on.",
            "Fly fishing takes practice, and most of my first casts ended up in the trees behind me.",
            "{name} caught a carp of almost {kg} after waiting for {hours} without a single bite.",
            "Use a barbless hook if you plan to release the fish back into the water.",
            "Worms and maggots are still the most reliable bait for perch and roach.",
            "A fishing licence is required for all rivers and lakes in the region.",
            "The river was high and muddy after the storm, so the fish were not biting.",
            "Bring a thermos of hot tea, warm boots and a folding chair for a long day on the ice.",
            "Local anglers say the best spot is near the old bridge where the current slows down.",
            "We released most of the fish and kept two small trout for dinner.",
            "The fishing season for salmon opens on the first of {month_name}.",
            "Check the weather before you go out on the boat, since the wind can rise very quickly.",
            "Light line and small hooks work best when the water is clear and cold.",
        ),
    ),
    "personal_finance": (
        (
            "How to build an emergency fund",
            "Five money habits that actually work",
            "Is it better to rent or buy in {city}?",
        ),
        (
            "Try to save at least {pct} of your income every month, even if it feels small at first.",
            "An emergency fund should cover three to six months of essential expenses.",
            "Write down every purchase for a month and you will be surprised where the money goes.",
            "Paying off expensive credit card debt first usually saves the most money.",
            "Index funds have low fees and spread the risk across hundreds of companies.",
            "Rents in {city} rose by {pct} last year, faster than wages in the region.",
            "Automatic transfers to a savings account on payday make saving almost effortless.",
            "Before you sign a loan, compare the total cost rather than just the monthly payment.",
            "{name_f} cancelled {num} subscriptions she no longer used and saved {money} a year.",
            "Inflation slowly eats away at cash, so long-term savings should be invested.",
            "A simple budget divides income into needs, wants and savings.",
            "Buying a house involves many extra costs such as taxes, insurance and repairs.",
            "Never invest money that you may need within the next two years.",
            "Banks often offer better interest rates to new customers than to loyal ones.",
            "Talking openly about money with your partner prevents many arguments later.",
        ),
    ),
    "home_repair": (
        (
            "Fixing a dripping tap yourself",
            "How we renovated an old kitchen on a budget",
            "Painting walls like a professional",
        ),
        (
            "Turn off the water supply under the sink before you take the tap apart.",
            "A dripping tap usually needs nothing more than a new rubber washer.",
            "Fill small cracks in the plaster with filler and sand them smooth once they are dry.",
            "Always paint the ceiling first and the walls afterwards.",
            "We removed {num} layers of old wallpaper before we finally reached the plaster.",
            "Good masking tape along the window frames saves hours of cleaning later.",
            "{name} replaced the old wooden floor with oak boards over a long weekend.",
            "If the fuse keeps blowing, stop and call a qualified electrician.",
            "Insulating the attic cut our heating bill by about {pct} last winter.",
            "Silicone around the bath should be replaced as soon as it turns black.",
            "Use a level every time you hang shelves, even if they look straight to the eye.",
            "The renovation took {weeks} and cost almost twice as much as we planned.",
            "A cordless drill is the single most useful tool for small repairs at home.",
            "Open the windows while painting and take breaks, because the fumes can cause headaches.",
            "Check the radiators for air in autumn before the heating season begins.",
        ),
    ),
    "pets": (
        (
            "Bringing home a rescue dog",
            "Why does my cat do that?",
            "Caring for an older pet",
        ),
        (
            "We adopted a three-year-old dog from the shelter in {city} last spring.",
            "Cats sleep up to sixteen hours a day, so do not worry if yours seems lazy.",
            "Puppies need short, frequent walks and a lot of patient training.",
            "Our dog, {petname}, is afraid of thunder and hides under the bed during storms.",
            "Regular brushing reduces shedding and helps you notice skin problems early.",
            "Never give chocolate or grapes to a dog, since both can be poisonous.",
            "Older cats often drink more water, which can be an early sign of kidney disease.",
            "A scratching post near the sofa saved our furniture from the kitten's claws.",
            "The vet recommended vaccinations every year and a check of the teeth.",
            "Dogs learn best with short training sessions and plenty of rewards.",
            "{name_f} walks her two dogs along the river every morning before work.",
            "Rabbits are social animals and are happier living in pairs.",
            "Make sure your pet has a microchip with your current phone number.",
            "Our cat, {petname}, brings us a toy mouse every evening and waits for praise.",
            "Pet insurance can be expensive, but a single operation may cost much more.",
        ),
    ),
    "hiking": (
        (
            "Three days on the mountain trail",
            "What to pack for a day hike",
            "The best walks near {city}",
        ),
        (
            "The trail climbs steadily through pine forest before reaching the open ridge.",
            "We covered {km} on the first day and camped by a small lake.",
            "Weather in the mountains changes quickly, so always pack a waterproof jacket.",
            "Good boots matter more than any other piece of equipment.",
            "The view from the summit stretched across the valley to the glacier on the other side.",
            "Tell someone your route and the time you expect to return.",
            "{name} led the group and set a pace that everyone could keep up with.",
            "Carry at least two litres of water, as there are no springs on the upper part of the route.",
            "The path was marked with red and white stripes painted on rocks and trees.",
            "We reached the hut just before dark and were given hot soup and a bunk bed.",
            "The descent took almost as long as the climb, because the stones were loose.",
            "Start early to avoid the afternoon thunderstorms common in summer.",
            "A paper map and a compass still work when your phone battery dies.",
            "The trail is about {km} long and suitable for families with older children.",
            "We saw deer, an eagle and, from a distance, a family of wild boar.",
        ),
    ),
    "chess": (
        (
            "Improving at chess after thirty",
            "Club tournament report",
            "Why every beginner should study endgames",
        ),
        (
            "Control of the centre in the opening gives your pieces more room to move.",
            "I lost the game because I moved the same piece three times in the opening.",
            "Endgames teach you how strong the king becomes once the queens are off the board.",
            "Our club tournament had {num2} players and lasted seven rounds.",
            "{name} won the final round with a clever knight sacrifice on move {num2}.",
            "Solving a few tactical puzzles every day is the fastest way to improve.",
            "Do not grab a pawn if it leaves your king without defenders.",
            "In rapid games I often run short of time, so I now play the opening faster.",
            "Analyse your own games after playing, especially the ones you lost.",
            "The chess club meets every Tuesday evening in the library on the main square.",
            "A rook on the seventh rank is often worth more than an extra pawn.",
            "Many strong players say that reading classic games helped them more than any engine.",
            "After the game my opponent showed me a simple move that would have won at once.",
            "Castling early keeps the king safe and connects the rooks.",
            "Online blitz is fun, but slow games teach you to think properly.",
        ),
    ),
    "coffee_tea": (
        (
            "How to brew better coffee at home",
            "A guide to green and black tea",
            "The new coffee shop on {street}",
        ),
        (
            "Grind the beans just before brewing, because ground coffee loses its aroma within minutes.",
            "Water for green tea should be around seventy to eighty degrees, not boiling.",
            "A simple pour-over needs only a filter, a kettle and a bit of patience.",
            "The café roasts its own beans in small batches every morning.",
            "Black tea needs three to five minutes to steep, depending on how strong you like it.",
            "{name} opened a small coffee shop on {street} after working for years as a barista.",
            "Espresso is made by forcing hot water through finely ground coffee under pressure.",
            "A cup of filter coffee contains more caffeine than most people expect.",
            "We tried a light roast from Ethiopia that tasted of berries and lemon.",
            "Store coffee beans in an airtight container away from light and heat.",
            "In our family tea was always served with lemon, jam and a plate of biscuits.",
            "The French press makes a heavy, rich cup, but you need a coarse grind.",
            "Prices for coffee beans rose by {pct} this year because of poor harvests.",
            "Herbal teas such as mint or chamomile are a good choice in the evening.",
            "A clean machine makes better coffee, so descale it every few weeks.",
        ),
    ),
    "cars": (
        (
            "Preparing your car for winter",
            "Long-term test: living with an electric car",
            "What to check when buying a used car",
        ),
        (
            "Fit winter tyres as soon as the temperature stays below seven degrees.",
            "Our electric car covers about {km} on a full charge in summer, and noticeably less in winter.",
            "Check the oil level and the coolant before a long trip.",
            "A used car with a full service history is worth paying a little more for.",
            "{name} drove from {city} to {city2} in one day and stopped only twice for fuel.",
            "Fuel prices went up by {pct} over the summer.",
            "Keep a scraper, a blanket and a torch in the boot during the winter months.",
            "The new model has a bigger boot and a much quieter engine.",
            "Braking distances double on wet roads and grow even more on ice.",
            "Ask for a test drive on the motorway as well as in town before you buy.",
            "Many drivers forget to check the pressure of the spare tyre.",
            "Charging at home overnight is much cheaper than using fast chargers on the road.",
            "The mechanic found rust under the doors, which the seller had not mentioned.",
            "Rush hour traffic in {city} has become worse since the bridge was closed for repairs.",
            "Clean headlights make a big difference on dark country roads.",
        ),
    ),
    "school": (
        (
            "How to help your child with homework",
            "What our school changed after the pandemic",
            "Preparing for final exams",
        ),
        (
            "Children learn better when they have a quiet place and a regular time for homework.",
            "Our school introduced a new timetable with longer breaks between lessons.",
            "Reading aloud together for twenty minutes a day improves vocabulary more than any app.",
            "{name}, who teaches mathematics, says that mistakes are the best part of learning.",
            "The final exams start in {month_name} and last about three weeks.",
            "Sleep before an exam matters more than an extra night of revision.",
            "The school library now lends tablets as well as books.",
            "Parents were invited to a meeting about the new reading programme.",
            "Class sizes have grown to {num2} pupils in some primary schools.",
            "Short, regular revision sessions work better than long sessions the night before.",
            "The school trip to the science museum was the highlight of the year for many pupils.",
            "Teachers reported that pupils found it hard to concentrate after months of online lessons.",
            "Sport and music lessons should not be the first things cut when budgets are tight.",
            "A simple weekly plan helps teenagers keep track of deadlines.",
            "Most students said that practice tests were the most useful preparation.",
        ),
    ),
    "cinema": (
        (
            "Film review: a quiet drama about a small town",
            "The best films of the festival",
            "Why I still go to the cinema",
        ),
        (
            "The film follows a retired teacher who returns to the village where she grew up.",
            "The director shot most scenes with natural light, which gives the film a soft, honest look.",
            "The lead actor gives the best performance of his career.",
            "At two and a half hours the film feels too long, especially in the middle.",
            "The soundtrack is simple, mostly piano, and never tells you what to feel.",
            "The festival showed {num2} films from twenty countries over ten days.",
            "{name_f} said the ending made her cry, even though she had read the book.",
            "Old cinemas with one screen are disappearing from small towns.",
            "The dialogue is sharp and often funny, even in the darkest scenes.",
            "The documentary took {years} to make and follows three families through a difficult decade.",
            "Special effects cannot save a film with a weak story.",
            "The cinema in {city} shows classic films every Sunday afternoon.",
            "The camera stays close to the characters, so the audience feels part of the family.",
            "Critics praised the screenplay but found the ending too neat.",
            "I watched it twice and noticed new details the second time.",
        ),
    ),
    "reading": (
        (
            "Books I read this year",
            "How to read more without trying harder",
            "Our book club's favourite novels",
        ),
        (
            "I finished {num2} books this year, mostly novels and a few history books.",
            "Reading for half an hour before bed has replaced scrolling on my phone.",
            "Our book club meets once a month in a café to discuss what we have read.",
            "The novel tells the story of three generations of a family of fishermen.",
            "Good translations are an art, and the translator deserves much more credit.",
            "{name_f} keeps a small notebook of quotes from every book she reads.",
            "I started the book slowly, but after the first hundred pages I could not put it down.",
            "Public libraries remain one of the best free services a city can offer.",
            "Audiobooks make long commutes feel much shorter.",
            "The author spent years researching the history of the region before writing the novel.",
            "Not every classic is worth finishing, and it is fine to put a boring book down.",
            "Second-hand bookshops in {city} are full of surprises for patient readers.",
            "Short stories are perfect when you have only a few minutes to read.",
            "The ending of the novel was unexpected but felt completely right.",
            "Children who see their parents reading are more likely to read themselves.",
        ),
    ),
    "beekeeping": (
        (
            "My first year as a beekeeper",
            "Preparing bees for winter",
            "Why bees matter for your garden",
        ),
        (
            "A healthy hive in summer can contain more than fifty thousand bees.",
            "We harvested {kg} of honey from our two hives this season.",
            "Bees need a source of water close to the hive, especially on hot days.",
            "Always wear a veil and move slowly and calmly when you open the hive.",
            "In autumn the bees reduce their numbers and store honey for the winter.",
            "{name_m} has kept bees in his garden outside {city} for more than fifteen years.",
            "Varroa mites are the most serious threat to honey bees in Europe.",
            "Planting lavender, clover and fruit trees gives bees food from spring to autumn.",
            "A queen can lay up to two thousand eggs a day at the height of summer.",
            "Smoke calms the bees because it masks the alarm signals they send to each other.",
            "Swarming usually happens in late spring when the colony becomes too crowded.",
            "Honey never really goes bad if it is stored in a sealed jar.",
            "Local beekeepers sell their honey at the farmers' market every Saturday.",
            "The taste of the honey depends on the flowers the bees visited.",
            "Check the hives on a warm afternoon, when most bees are out collecting nectar.",
        ),
    ),
    "aviation": (
        (
            "How pilots prepare for a long-haul flight",
            "Learning to fly a small aircraft",
            "Why flights are delayed in winter",
        ),
        (
            "Before every flight the crew checks the weather along the route and at the destination.",
            "Modern airliners can fly safely on one engine for several hours.",
            "De-icing the wings before take-off can add {min} to the departure time.",
            "Learning to fly a small aircraft takes at least forty hours of flying with an instructor.",
            "The flight from {city} took {hours} because of strong headwinds.",
            "Turbulence is uncomfortable but rarely dangerous for a large aircraft.",
            "{name_f} made her first solo flight after twenty-two hours of training.",
            "Air traffic controllers keep aircraft at safe distances both vertically and horizontally.",
            "Airports in the north keep snow ploughs ready on the runways all winter.",
            "The small airfield outside town is used mostly by gliders and flying clubs.",
            "A pilot must practise emergency landings regularly to keep the licence.",
            "Cabin pressure is kept at a level similar to that of a town in the mountains.",
            "Fog at the airport delayed {num2} flights on Monday morning.",
            "The new terminal can handle {big} passengers a day.",
            "Fuel is the largest single cost for most airlines.",
        ),
    ),
    "skiing": (
        (
            "A week of skiing in the mountains",
            "Cross-country skiing for beginners",
            "How to choose ski boots",
        ),
        (
            "The resort has {km} of slopes, from gentle green runs to steep black ones.",
            "Cross-country skiing is one of the best winter workouts for the whole body.",
            "Boots that fit well matter more than expensive skis.",
            "We took a lesson on the first day, and it made the rest of the week much easier.",
            "Fresh snow fell overnight, and the morning runs were simply perfect.",
            "{name} learned to ski at the age of fifty and now goes every winter.",
            "Wear a helmet, goggles and several thin layers rather than one thick jacket.",
            "Lift passes for a week cost around {price}, with discounts for children.",
            "Avalanche warnings must be taken seriously if you ski off the marked pistes.",
            "The trails around the lake are lit in the evening, so you can ski after work.",
            "Wax your skis regularly, especially when the snow is wet in spring.",
            "At the end of the day we warmed up with hot chocolate in the mountain hut.",
            "The temperature at the top station was {temp} in the morning.",
            "Beginners should stay on easy runs until they can stop and turn with confidence.",
            "The snow in March was heavy and slow, but the sun made up for it.",
        ),
    ),
}


# Russian web prose, same topics. Slots that inflect come ready-made in the right case:
# {city} nominative, {city_gen} genitive, {city_prep} prepositional; counts such as {min} or {km}
# carry an agreeing noun ("21 минуту" is never produced: see SLOT_WORDS / _ru_count).
RU_TOPICS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "cooking": (
        (
            "Как приготовить настоящий {борщ|суп|плов} дома",
            "Ужин за {min}: простые рецепты на каждый день",
            "Чему меня научил год домашней выпечки",
            "Сезонные овощи на кухне: советы и рецепты",
        ),
        (
            "Сначала разогрейте в толстостенной сковороде {две|три|четыре} столовые ложки растительного масла.",
            "Мелко нарежьте лук и обжаривайте его до мягкости и золотистого цвета, обычно на это уходит {min}.",
            "Моя бабушка всегда добавляла в томатный соус щепотку сахара, чтобы смягчить кислинку.",
            "Тесту для хлеба нужно время, поэтому оставьте его подходить в тёплом месте хотя бы на {hours}.",
            "Если соус получился слишком густым, добавьте немного воды, в которой варились макароны.",
            "Перед тем как отправить мясо в духовку, хорошо посолите и поперчите его.",
            "Острый нож безопаснее тупого, потому что он не соскальзывает с кожицы помидора.",
            "Рагу мы подали с рисом и простым салатом из огурцов, укропа и сметаны.",
            "Запекайте тыкву при температуре {oven}, пока края не начнут карамелизоваться.",
            "Рецепт рассчитан на {people}, но его легко удвоить для большого семейного ужина.",
            "Свежую зелень, например петрушку и базилик, кладите в самом конце, чтобы сохранить аромат.",
            "Остатки блюда можно хранить в холодильнике {days} в закрытом контейнере.",
            "{name_m} уверен, что секрет хорошего омлета в слабом огне и большом терпении.",
            "Фасоль замочите на ночь, а потом медленно варите, пока она не станет мягкой, но не разварится.",
            "На десерт мы испекли яблочный пирог с корицей и подали его тёплым с ванильным мороженым.",
            "Попробуйте блюдо перед подачей и досолите при необходимости, ведь каждый бульон разный.",
        ),
    ),
    "rail_travel": (
        (
            "Поездом из {city_gen} в {city2_acc}: путевые заметки",
            "Ночные поезда возвращаются, и я этому рад",
            "Десять советов перед первой долгой поездкой по железной дороге",
        ),
        (
            "Ночной поезд из {city_gen} отправляется в {clock} и прибывает на следующее утро.",
            "Мы взяли двухместное купе, и билет обошёлся примерно в {price} на человека.",
            "Дорога длиной {km_long} заняла чуть больше {hours_gen}, включая короткую стоянку на границе.",
            "Из окна мы смотрели на леса, замёрзшие озёра и маленькие деревни, медленно проплывавшие мимо.",
            "Проводница принесла чай в стеклянных стаканах с подстаканниками, как это принято на этой линии.",
            "Билеты на пригородные поезда можно купить в кассе вокзала или в приложении перевозчика.",
            "Наша пересадка задержалась на {min}, и мы едва не опоздали на последний автобус до гостиницы.",
            "Проездной имеет смысл, только если вы планируете несколько дальних поездок за пару недель.",
            "В вагоне-ресторане предлагали простое меню: суп, гуляш и блины по разумным ценам.",
            "Возьмите с собой тапочки, бутылку воды и что-нибудь перекусить, ведь дорога долгая.",
            "Старое здание вокзала в {city_prep} построено в {rail_year} году и до сих пор сохранило часовую башню.",
            "Скоростные поезда теперь проходят этот маршрут вдвое быстрее, чем десять лет назад.",
            "{name_f} предпочитает места по ходу движения и всегда покупает билеты за несколько недель.",
            "Мы дважды пересаживались и всё равно приехали раньше, чем на машине.",
            "Перед конечной станцией дорога проходит по длинному мосту через реку.",
        ),
    ),
    "astronomy": (
        (
            "Что можно увидеть на ночном небе {in_month}",
            "Астрономия на даче: руководство для начинающих",
            "Наблюдаем планеты в небольшой телескоп",
        ),
        (
            "{in_month_cap} Юпитер будет хорошо виден невысоко на востоке вскоре после заката.",
            "Даже в небольшой телескоп видны четыре крупнейших спутника Юпитера в виде крошечных светящихся точек.",
            "Пик метеорного потока Персеиды приходится на середину августа, когда можно увидеть до {num2} метеоров в час.",
            "Городская засветка скрывает большинство слабых звёзд, поэтому отъезжайте от города хотя бы на {km}.",
            "Кольца Сатурна в этом году наклонены к нам, и их легко разглядеть.",
            "Дайте глазам привыкнуть к темноте минут двадцать, прежде чем начинать наблюдения.",
            "Галактика Андромеды — самый далёкий объект, который можно увидеть невооружённым глазом.",
            "Красный фонарик позволяет читать звёздные карты, не теряя ночного зрения.",
            "Бинокль часто оказывается лучшим первым инструментом, чем дешёвый телескоп на шаткой монтировке.",
            "По оценкам астрономов, ближайшая к Солнцу звёздная система находится примерно в 4,2 светового года.",
            "Во время полного лунного затмения Луна становится тёмно-красной из-за света, преломлённого в атмосфере Земли.",
            "Наш астрономический кружок собирается в первую пятницу каждого месяца в обсерватории парка.",
            "{name_m} сфотографировал туманность Ориона с выдержкой {min} прямо с балкона.",
            "Международная космическая станция пересекает небо яркой ровной точкой, которая быстро движется.",
            "Венера в сумерках настолько яркая, что её часто принимают за самолёт.",
        ),
    ),
    "football": (
        (
            "Отчёт о матче: {team} — {team2}, {score}",
            "Почему {team} снова проигрывает дома",
            "Трансферные новости и слухи недели",
        ),
        (
            "Команда {team} выиграла дерби благодаря позднему голу молодого центрального защитника.",
            "Гости владели мячом весь первый тайм, но почти не создавали опасных моментов.",
            "Несмотря на холод и дождь, на трибунах собралось {big_people}.",
            "После перерыва тренер провёл три замены, и игра полностью изменилась.",
            "Нападающий забил {goals} в последних десяти матчах во всех турнирах.",
            "Судья назначил пенальти после долгого просмотра эпизода с помощью видеоповтора.",
            "Клуб подтвердил, что полузащитник пропустит {weeks} из-за травмы колена.",
            "Команда {team2} теперь идёт четвёртой в таблице, отставая от лидеров на два очка.",
            "Болельщики недовольны ценами на билеты, которые выросли на {pct} с прошлого сезона.",
            "Из клубной академии вышли несколько игроков, которые сейчас выступают за сборную.",
            "Во втором тайме хозяева пошли в высокий прессинг и сравняли счёт на {minute}-й минуте.",
            "Сумма трансфера не раскрывается, но местные газеты называют цифру около {fee}.",
            "{name_m}, который болеет за клуб уже тридцать лет, сказал, что это была лучшая игра в его жизни.",
            "После финального свистка игроки подошли к гостевой трибуне, чтобы поблагодарить болельщиков.",
            "Газон после недели проливных дождей был в плохом состоянии.",
        ),
    ),
    "gardening": (
        (
            "Что сажать {in_month}",
            "Выращиваем помидоры на маленьком балконе",
            "Дневник дачника, неделя {num}",
        ),
        (
            "Томатам нужно не меньше шести часов прямого солнца в день, чтобы дать хороший урожай.",
            "Посейте семена дома в начале весны, а рассаду высаживайте в грунт после последних заморозков.",
            "Поливайте грядки рано утром, чтобы листья успели высохнуть до вечера.",
            "Толстый слой мульчи сохраняет влагу в почве и не даёт расти большинству сорняков.",
            "Мы посадили {rows} картошки, два ряда моркови и длинную грядку фасоли вдоль забора.",
            "Тлю можно смыть сильной струёй воды или обработать растения мыльным раствором.",
            "Компост из кухонных очистков и опавших листьев — самое дешёвое удобрение, какое только можно найти.",
            "Яблони обрезают в конце зимы, пока деревья ещё находятся в покое.",
            "{name_f} выращивает клубнику в подвесных кашпо, подальше от слизней и птиц.",
            "Высокие грядки быстрее прогреваются весной, и за ними легче ухаживать.",
            "Огурцы любят тепло и регулярный полив, иначе плоды начинают горчить.",
            "Посадите бархатцы между овощами: их запах отпугивает некоторых вредителей.",
            "Прошлым летом урожай был таким большим, что мы закатали {jars} томатного соуса.",
            "Перед поливом проверьте почву: если на глубине нескольких сантиметров она влажная, подождите ещё день.",
            "Чеснок, посаженный осенью, можно убирать уже в начале июля.",
        ),
    ),
    "city_history": (
        (
            "Краткая история города {city}",
            "Прогулка по старому центру: {city}",
            "Забытые здания города {city}",
        ),
        (
            "Впервые город упоминается в летописи {old_year} года как небольшое торговое поселение на реке.",
            "Каждую осень купцы с юга привозили на рыночную площадь соль, ткани и вино.",
            "Большой пожар {old_year2} года уничтожил почти все деревянные дома в центре.",
            "После пожара городская дума постановила строить новые дома в центре только из камня.",
            "Собор на холме строили почти сорок лет.",
            "В девятнадцатом веке с приходом железной дороги город превратился в промышленный центр.",
            "За пятьдесят лет население выросло с нескольких тысяч до {big_people}.",
            "Многие старые фабрики с тех пор превратились в офисы, лофты и музеи.",
            "В городском музее хранится собрание карт, монет и писем семей основателей.",
            "Во время войны мост через реку был разрушен, а затем восстановлен в прежнем виде.",
            "Главная улица до сих пор повторяет путь средневековой дороги, которая вела к воротам крепости.",
            "Краевед {person} двадцать лет собирал рассказы старейших жителей.",
            "Театр, открытый в {theatre_year} году, стал первым зданием в губернии с электрическим освещением.",
            "Пешеходные экскурсии по историческому центру начинаются у здания ратуши каждую субботу в {clock}.",
            "Фрагменты старой городской стены до сих пор можно увидеть во дворах за рынком.",
        ),
    ),
    "programming": (
        (
            "Почему я перешёл с {lang} на {lang2}",
            "Пять ошибок, которые я совершил в первый год работы программистом",
            "Как писать тесты, которые действительно ловят ошибки",
        ),
        (
            "Наш сервис начал тормозить, когда таблица в базе данных выросла до {big} строк.",
            "Индекс по столбцу с клиентами сократил время запроса с секунд до миллисекунд.",
            "Ревью кода нужно не для поиска виноватых, а для обмена знаниями внутри команды.",
            "Сначала напишите падающий тест, а потом добейтесь его прохождения самым простым изменением.",
            "Мы перенесли сборку на сервер непрерывной интеграции, и сломанные коммиты стали редкостью.",
            "Большинство ошибок прошлого месяца возникло из-за нечёткой обработки исключений на границах системы.",
            "Для небольших скриптов {lang} подходит отлично, но крупным проектам полезна статическая типизация.",
            "Логирование каждого запроса с идентификатором корреляции сильно упростило разбор проблем в продакшене.",
            "В новой версии библиотеки изменился интерфейс, и нам пришлось переписать {modules}.",
            "{name_m} целый день искал ошибку, которая в итоге оказалась связана с часовыми поясами.",
            "Преждевременная оптимизация отнимает время: сначала измерьте, потом исправляйте самое медленное место.",
            "Делайте функции короткими и давайте им имена, которые описывают, что они делают.",
            "Наша команда выпускает новую версию раз в две недели, и к каждой прилагается короткий список изменений.",
            "Потребление памяти снизилось на {pct}, когда мы перестали загружать весь файл целиком.",
            "Парное программирование поначалу казалось медленным, но потом сэкономило нам много часов отладки.",
        ),
    ),
    "medicine": (
        (
            "Сколько на самом деле нужно спать взрослому человеку",
            "Сезонный грипп: симптомы и профилактика",
            "Что врач хочет, чтобы вы знали о давлении",
        ),
        (
            "Взрослому человеку нужно от семи до девяти часов сна, чтобы оставаться здоровым и бодрым.",
            "Регулярная физическая активность снижает риск болезней сердца и диабета второго типа.",
            "Типичные симптомы гриппа — высокая температура, ломота в мышцах, сухой кашель и сильная усталость.",
            "Мойте руки с мылом не меньше двадцати секунд, особенно перед едой.",
            "Давление нужно измерять сидя, после пяти минут спокойного отдыха.",
            "Врачи рекомендуют ежегодную прививку от гриппа пожилым людям и людям с хроническими болезнями.",
            "Пить достаточно воды особенно важно в жару и во время физических нагрузок.",
            "Антибиотики не действуют на вирусы, поэтому при обычной простуде они не помогут.",
            "Рацион, богатый овощами, цельнозерновыми продуктами и рыбой, полезен для сердца.",
            "Поликлиника в {city_prep} теперь принимает пациентов и по вечерам, для тех, кто днём работает.",
            "Хронический стресс может повышать давление и мешать засыпанию.",
            "Если боль в груди не проходит несколько минут, немедленно вызывайте скорую помощь.",
            "Доктор {surname} считает, что короткая прогулка после ужина помогает контролировать уровень сахара в крови.",
            "В исследовании участвовали {patients}, за которыми наблюдали {years}, чтобы оценить эффект лечения.",
            "Детям нужно показываться стоматологу хотя бы раз в год.",
        ),
    ),
    "weather": (
        (
            "Прогноз погоды: {city} и область",
            "Штормовое предупреждение на выходные",
            "Почему эта зима оказалась такой тёплой",
        ),
        (
            "Завтра с утра будет облачно, а после обеда с запада придёт небольшой дождь.",
            "Днём температура поднимется до {temp_gen}, а ночью резко понизится.",
            "На побережье ожидается сильный ветер с порывами до {num2} метров в секунду.",
            "Гидрометцентр объявил предупреждение о сильном снегопаде в северных районах.",
            "К выходным антициклон принесёт сухую солнечную погоду.",
            "Рано утром на трассах возможен туман, видимость ухудшится.",
            "Прошлый месяц стал самым тёплым за всю историю наблюдений, которая насчитывает больше века.",
            "Осадков этим летом выпало на {pct} меньше нормы, и фермеры обеспокоены.",
            "Вечером, в основном в предгорьях, возможны грозы с градом.",
            "После ясной холодной ночи водителям стоит ожидать гололёда на мостах и второстепенных дорогах.",
            "Синоптики говорят, что струйное течение сместилось южнее обычного.",
            "После трёх дней непрерывных дождей уровень воды в реке поднялся почти на два метра.",
            "В полдень термометры в {city_prep} показали {temp}, это новый рекорд для этой даты.",
            "Следующая неделя будет переменчивой: короткие прояснения будут чередоваться с ливнями.",
            "Первые заморозки в низинах ожидаются в ночь на четверг.",
        ),
    ),
    "music": (
        (
            "Рецензия на концерт: группа {band} в {city_prep}",
            "Пластинки, которые изменили мою жизнь",
            "Учиться играть на фортепиано во взрослом возрасте",
        ),
        (
            "Группа начала с медленной акустической песни, а потом вступили барабаны.",
            "Оркестр исполнил Пятую симфонию Чайковского при полном зале.",
            "Новый альбом записали всего за {days} в маленькой студии под {city_instr}.",
            "Я начал заниматься на фортепиано в сорок лет, и вечерние упражнения стали тихим ритуалом.",
            "Поначалу голос певицы звучал устало, но с каждой песней становился всё сильнее.",
            "Продажи виниловых пластинок растут уже {years} подряд, в основном за счёт молодых слушателей.",
            "Учиться читать ноты долго, но это открывает огромную библиотеку произведений.",
            "Фестиваль длится три дня, и на четырёх сценах выступят больше {num2} групп.",
            "Группа {band} играла почти два часа и закончила концерт своим первым хитом на бис.",
            "Джазовые клубы в старом городе маленькие, тесные и полны прекрасных музыкантов.",
            "Гитарист играл через старый усилитель, который придавал звуку тёплый, чуть грязный оттенок.",
            "Билеты разошлись за {min} после начала продаж.",
            "{name_f} играет на скрипке в городском оркестре больше двадцати лет.",
            "Акустика старой церкви делала звучание хора почти нереальным.",
            "Хороший метроном — самый дешёвый способ улучшить чувство ритма.",
        ),
    ),
    "photography": (
        (
            "Зимний пейзаж: как снимать на морозе",
            "Какой объектив купить первым",
            "Выходные уличной фотографии: {city}",
        ),
        (
            "Лучший свет для пейзажа бывает в первый час после восхода и в последний час перед закатом.",
            "Штатив позволяет снимать на длинной выдержке и превращать бегущую воду в мягкую дымку.",
            "Всю серию я снял на объектив пятьдесят миллиметров и ни разу не пожалел об отсутствии зума.",
            "Снег обманывает экспонометр камеры, поэтому добавьте одну ступень экспокоррекции.",
            "Съёмка в формате RAW даёт гораздо больше свободы при последующей обработке.",
            "Уличная фотография требует терпения: найдите хороший фон и ждите подходящего прохожего.",
            "{name_m} повсюду носит с собой маленькую камеру, потому что лучшие кадры часто случаются без плана.",
            "Держите запасные аккумуляторы во внутреннем кармане: на морозе они разряжаются очень быстро.",
            "Поляризационный фильтр делает небо темнее и убирает блики с воды и стекла.",
            "На выставке в {city_prep} показывают больше {num2} чёрно-белых отпечатков шестидесятых годов.",
            "Всегда спрашивайте разрешения, прежде чем снимать крупный портрет незнакомого человека.",
            "Храните копии фотографий в двух местах, ведь карты памяти выходят из строя без предупреждения.",
            "Правило третей — хорошее начало, но отличные снимки часто его нарушают.",
            "Открытая диафрагма размывает фон и выделяет главный объект.",
            "Мы ждали {hours}, пока туман над долиной рассеется, и это того стоило.",
        ),
    ),
    "cycling": (
        (
            "Моя первая сотня километров на велосипеде",
            "Зимой на работу на велосипеде",
            "Как заклеить колесо за пять минут",
        ),
        (
            "Каждый день я проезжаю до работы {km}, и в час пик это быстрее автобуса.",
            "Проверяйте давление в шинах раз в неделю: на спущенных колёсах любая поездка даётся тяжелее.",
            "Хороший комплект фонарей обязателен, если вы ездите в темноте осенью и зимой.",
            "Маршрут проходит по старой железнодорожной насыпи, поэтому крутых подъёмов здесь нет.",
            "На полпути мы остановились выпить кофе в маленькой деревне и переждали дождь.",
            "Всегда возите с собой запасную камеру, монтажки и небольшой насос.",
            "За последние три года в городе построили {km} новых велодорожек.",
            "Регулярно чистите и смазывайте цепь, особенно после езды по мокрым дорогам, посыпанным солью.",
            "{name_m} прошёл горный этап за {hours}, намного быстрее, чем сам рассчитывал.",
            "Шлем не предотвращает аварии, но заметно снижает риск травмы головы.",
            "В группе ехать легче, потому что задние гонщики прячутся от встречного ветра.",
            "Мой старый стальной велосипед тяжёлый, но пережил десять зим без единой жалобы.",
            "На длинных поездках пейте заранее, до появления жажды, и ешьте понемногу каждые сорок минут.",
            "Спуск был крутым и мокрым, поэтому повороты мы проходили медленно.",
            "Во многих электричках теперь есть специальные вагоны, где велосипед можно провезти бесплатно.",
        ),
    ),
    "fishing": (
        (
            "Осенняя щука на озере",
            "Нахлыст для начинающих",
            "Зимняя рыбалка: что взять с собой и как не провалиться под лёд",
        ),
        (
            "Мы приехали на озеро до рассвета, когда вода была ещё совершенно спокойной.",
            "Щука активнее всего осенью, когда она усиленно кормится перед зимой.",
            "Выходить на лёд можно, только если его толщина не меньше десяти сантиметров.",
            "Нахлыст требует практики, и большинство моих первых забросов заканчивалось в кустах за спиной.",
            "{name_m} поймал карпа весом почти {kg}, прождав {hours} без единой поклёвки.",
            "Используйте крючок без бородки, если собираетесь отпускать рыбу обратно в воду.",
            "Черви и опарыш по-прежнему самая надёжная наживка для окуня и плотвы.",
            "На всех реках и озёрах области нужна лицензия на рыбалку.",
            "После шторма река поднялась и помутнела, и рыба совсем не клевала.",
            "Возьмите термос с горячим чаем, тёплые сапоги и складной стул для долгого дня на льду.",
            "Местные рыбаки говорят, что лучшее место у старого моста, где течение замедляется.",
            "Большую часть улова мы отпустили, а двух небольших форелей оставили на ужин.",
            "Сезон ловли лосося открывается {in_month}.",
            "Перед выходом на лодке проверьте прогноз, потому что ветер может усилиться очень быстро.",
            "Тонкая леска и маленькие крючки лучше всего работают в чистой холодной воде.",
        ),
    ),
    "personal_finance": (
        (
            "Как создать финансовую подушку безопасности",
            "Пять финансовых привычек, которые действительно работают",
            "Что выгоднее в {city_prep}: снимать или покупать квартиру",
        ),
        (
            "Старайтесь откладывать хотя бы {pct} дохода каждый месяц, даже если сумма поначалу кажется маленькой.",
            "Подушка безопасности должна покрывать расходы на самое необходимое за три–шесть месяцев.",
            "Запишите все покупки за месяц, и вы удивитесь, куда уходят деньги.",
            "Быстрее всего сэкономить помогает досрочное погашение дорогих кредитных карт.",
            "Индексные фонды берут небольшую комиссию и распределяют риск между сотнями компаний.",
            "Аренда в {city_prep} за прошлый год подорожала на {pct}, быстрее, чем росли зарплаты в регионе.",
            "Автоматический перевод на сберегательный счёт в день зарплаты делает накопление почти незаметным.",
            "Прежде чем подписать кредитный договор, сравните полную стоимость кредита, а не только ежемесячный платёж.",
            "{name_f} отменила {subs}, которыми больше не пользовалась, и сэкономила {savings} в год.",
            "Инфляция постепенно съедает наличные, поэтому долгосрочные сбережения стоит инвестировать.",
            "Простой бюджет делит доход на необходимые траты, желания и накопления.",
            "Покупка квартиры связана с множеством дополнительных расходов: налогами, страховкой и ремонтом.",
            "Никогда не вкладывайте деньги, которые могут понадобиться вам в ближайшие два года.",
            "Банки часто предлагают новым клиентам более выгодные ставки, чем постоянным.",
            "Открытый разговор о деньгах с партнёром предотвращает многие ссоры в будущем.",
        ),
    ),
    "home_repair": (
        (
            "Как самому починить капающий кран",
            "Как мы отремонтировали старую кухню без больших затрат",
            "Красим стены как профессионалы",
        ),
        (
            "Прежде чем разбирать кран, перекройте воду под раковиной.",
            "Капающему крану обычно нужна лишь новая резиновая прокладка.",
            "Мелкие трещины в штукатурке заделайте шпаклёвкой, а после высыхания зашкурьте.",
            "Сначала всегда красят потолок, а уже потом стены.",
            "Мы сняли {layers} старых обоев, прежде чем наконец добрались до штукатурки.",
            "Хороший малярный скотч вдоль оконных рам экономит часы уборки.",
            "{name_m} за длинные выходные заменил старый деревянный пол на дубовую доску.",
            "Если автомат постоянно выбивает, остановитесь и вызовите квалифицированного электрика.",
            "Утепление чердака сократило наши расходы на отопление прошлой зимой примерно на {pct}.",
            "Силиконовый герметик вокруг ванны нужно менять, как только он почернеет.",
            "Вешая полки, всегда пользуйтесь уровнем, даже если на глаз они висят ровно.",
            "Ремонт занял {weeks} и обошёлся почти вдвое дороже, чем мы планировали.",
            "Аккумуляторная дрель — самый полезный инструмент для мелкого домашнего ремонта.",
            "Во время покраски открывайте окна и делайте перерывы, потому что от запаха может разболеться голова.",
            "Осенью, до начала отопительного сезона, проверьте, нет ли в батареях воздуха.",
        ),
    ),
    "pets": (
        (
            "Собака из приюта: первые недели дома",
            "Почему кошка так делает",
            "Как ухаживать за пожилым питомцем",
        ),
        (
            "Прошлой весной мы взяли трёхлетнюю собаку из приюта в {city_prep}.",
            "Кошки спят до шестнадцати часов в сутки, так что не волнуйтесь, если ваша кажется ленивой.",
            "Щенкам нужны короткие частые прогулки и много терпеливой дрессировки.",
            "Наш пёс {petname} боится грома и во время грозы прячется под кровать.",
            "Регулярное вычёсывание уменьшает линьку и помогает вовремя заметить проблемы с кожей.",
            "Никогда не давайте собаке шоколад или виноград: и то и другое может быть ядовитым.",
            "Пожилые кошки часто пьют больше воды, и это может быть ранним признаком болезни почек.",
            "Когтеточка рядом с диваном спасла нашу мебель от когтей котёнка.",
            "Ветеринар посоветовал делать прививки каждый год и проверять зубы.",
            "Собаки лучше всего учатся на коротких занятиях с большим количеством поощрений.",
            "{name_f} каждое утро перед работой гуляет со своими двумя собаками вдоль реки.",
            "Кролики — общительные животные, и им лучше жить парой.",
            "Убедитесь, что у питомца есть микрочип с вашим актуальным номером телефона.",
            "Наш кот {petname} каждый вечер приносит нам игрушечную мышь и ждёт похвалы.",
            "Страховка для животных стоит недёшево, но одна операция может обойтись гораздо дороже.",
        ),
    ),
    "hiking": (
        (
            "Три дня на горной тропе",
            "Что взять в однодневный поход",
            "Лучшие пешие маршруты рядом с городом {city}",
        ),
        (
            "Тропа плавно поднимается через сосновый лес и выходит на открытый гребень.",
            "В первый день мы прошли {km} и заночевали у небольшого озера.",
            "Погода в горах меняется быстро, поэтому всегда берите с собой непромокаемую куртку.",
            "Хорошие ботинки важнее любого другого снаряжения.",
            "С вершины открывался вид на всю долину до ледника на противоположной стороне.",
            "Обязательно сообщите кому-нибудь свой маршрут и время, когда планируете вернуться.",
            "{name_m} шёл первым и задавал темп, который выдерживали все участники группы.",
            "Берите не меньше двух литров воды: на верхней части маршрута родников нет.",
            "Тропа была размечена красно-белыми полосами на камнях и деревьях.",
            "Мы дошли до приюта перед самой темнотой, и нас накормили горячим супом.",
            "Спуск занял почти столько же времени, сколько подъём, потому что камни под ногами осыпались.",
            "Выходите пораньше, чтобы не попасть под дневные грозы, которые летом здесь обычное дело.",
            "Бумажная карта и компас работают даже тогда, когда у телефона садится батарея.",
            "Длина маршрута около {km_gen}, он подходит для семей с детьми постарше.",
            "Мы видели оленей, орла и издалека семейство кабанов.",
        ),
    ),
    "chess": (
        (
            "Как расти в шахматах после тридцати",
            "Отчёт о клубном турнире",
            "Почему каждому новичку стоит изучать эндшпиль",
        ),
        (
            "Контроль над центром в дебюте даёт фигурам больше пространства.",
            "Я проиграл партию, потому что в дебюте трижды пошёл одной и той же фигурой.",
            "Эндшпиль учит понимать, насколько сильным становится король после размена ферзей.",
            "В клубном турнире участвовали {players}, соревнование длилось семь туров.",
            "{name_m} выиграл последний тур красивой жертвой коня на {num2}-м ходу.",
            "Решение нескольких тактических задач каждый день — самый быстрый способ прогрессировать.",
            "Не берите пешку, если после этого ваш король останется без защиты.",
            "В быстрых партиях мне часто не хватает времени, поэтому дебют я теперь играю быстрее.",
            "Разбирайте свои партии после игры, особенно проигранные.",
            "Шахматный клуб собирается каждый вторник вечером в библиотеке на главной площади.",
            "Ладья на седьмой горизонтали часто стоит больше лишней пешки.",
            "Многие сильные шахматисты говорят, что разбор классических партий помог им больше любого движка.",
            "После партии соперник показал мне простой ход, который сразу выигрывал.",
            "Ранняя рокировка защищает короля и связывает ладьи.",
            "Блиц в интернете — это весело, но только медленные партии учат по-настоящему думать.",
        ),
    ),
    "coffee_tea": (
        (
            "Как варить дома кофе получше",
            "Зелёный и чёрный чай: краткий путеводитель",
            "Новая кофейня на {street_prep}",
        ),
        (
            "Мелите зёрна прямо перед завариванием: молотый кофе теряет аромат за считаные минуты.",
            "Вода для зелёного чая должна быть около семидесяти–восьмидесяти градусов, а не кипяток.",
            "Для пуровера нужны только фильтр, чайник и немного терпения.",
            "Кофейня каждое утро обжаривает собственные зёрна небольшими партиями.",
            "Чёрный чай заваривается от трёх до пяти минут, в зависимости от того, насколько крепким вы его любите.",
            "{name_m} открыл маленькую кофейню на {street_prep} после многих лет работы бариста.",
            "Эспрессо готовят, пропуская горячую воду под давлением через мелко молотый кофе.",
            "В чашке фильтр-кофе больше кофеина, чем ожидает большинство людей.",
            "Мы попробовали светлую обжарку из Эфиопии со вкусом ягод и лимона.",
            "Храните кофейные зёрна в герметичной банке вдали от света и тепла.",
            "В нашей семье чай всегда подавали с лимоном, вареньем и тарелкой печенья.",
            "Френч-пресс даёт плотный насыщенный напиток, но помол для него нужен крупный.",
            "Цены на кофейные зёрна в этом году выросли на {pct} из-за плохого урожая.",
            "Травяные чаи, например мятный или ромашковый, хороши вечером.",
            "Чистая кофемашина варит более вкусный кофе, поэтому удаляйте накипь раз в несколько недель.",
        ),
    ),
    "cars": (
        (
            "Готовим машину к зиме",
            "Долгосрочный тест: год с электромобилем",
            "Что проверить при покупке подержанного автомобиля",
        ),
        (
            "Ставьте зимнюю резину, как только температура стабильно опускается ниже семи градусов.",
            "Летом наш электромобиль проезжает на одной зарядке около {km_gen}, а зимой заметно меньше.",
            "Перед дальней поездкой проверьте уровень масла и охлаждающей жидкости.",
            "За подержанную машину с полной сервисной историей стоит немного переплатить.",
            "{name_m} доехал из {city_gen} до {city2_gen} за один день и останавливался на заправке всего дважды.",
            "За лето цены на бензин выросли на {pct}.",
            "Зимой держите в багажнике скребок, плед и фонарик.",
            "У новой модели больше багажник и гораздо тише двигатель.",
            "Тормозной путь на мокрой дороге увеличивается вдвое, а на льду ещё больше.",
            "Перед покупкой попросите тест-драйв не только в городе, но и на трассе.",
            "Многие водители забывают проверять давление в запасном колесе.",
            "Заряжать машину дома ночью гораздо дешевле, чем пользоваться быстрыми зарядками в дороге.",
            "Механик нашёл ржавчину под дверями, о которой продавец не упомянул.",
            "Пробки в часы пик в {city_prep} стали хуже с тех пор, как мост закрыли на ремонт.",
            "Чистые фары очень помогают на тёмных загородных дорогах.",
        ),
    ),
    "school": (
        (
            "Как помочь ребёнку с домашним заданием",
            "Что изменилось в нашей школе после пандемии",
            "Подготовка к выпускным экзаменам",
        ),
        (
            "Дети лучше учатся, когда у них есть тихое место и постоянное время для уроков.",
            "В нашей школе ввели новое расписание с более длинными переменами.",
            "Чтение вслух по двадцать минут в день расширяет словарный запас лучше любого приложения.",
            "{name_f}, учительница математики, говорит, что ошибки — лучшая часть обучения.",
            "Выпускные экзамены начинаются {in_month} и длятся около трёх недель.",
            "Сон перед экзаменом важнее лишней ночи повторения.",
            "Школьная библиотека теперь выдаёт не только книги, но и планшеты.",
            "Родителей пригласили на собрание, посвящённое новой программе по чтению.",
            "В некоторых начальных классах теперь больше {num2} учеников.",
            "Короткие регулярные повторения работают лучше, чем долгие занятия в ночь перед экзаменом.",
            "Школьная экскурсия в музей науки стала для многих учеников главным событием года.",
            "Учителя отмечают, что после месяцев дистанционного обучения детям трудно сосредоточиться.",
            "Физкультуру и музыку не стоит сокращать первыми, когда бюджет ограничен.",
            "Простой план на неделю помогает подросткам не забывать о сроках.",
            "Большинство учеников назвали пробные тесты самой полезной подготовкой.",
        ),
    ),
    "cinema": (
        (
            "Рецензия: тихая драма о маленьком городе",
            "Лучшие фильмы фестиваля",
            "Почему я до сих пор хожу в кино",
        ),
        (
            "Фильм рассказывает о бывшей учительнице, которая возвращается в деревню, где прошло её детство.",
            "Режиссёр снимал большинство сцен при естественном свете, и это придаёт картине мягкость и честность.",
            "Исполнитель главной роли сыграл лучшую роль в своей карьере.",
            "Два с половиной часа — это слишком долго, особенно середина фильма тянется.",
            "Музыка простая, в основном фортепиано, и никогда не подсказывает зрителю, что чувствовать.",
            "За десять дней фестиваль показал {films} из двадцати стран.",
            "{name_f} призналась, что финал довёл её до слёз, хотя она читала книгу.",
            "Старые однозальные кинотеатры исчезают из маленьких городов.",
            "Диалоги острые и часто смешные даже в самых мрачных сценах.",
            "Документальный фильм снимали {years}, он рассказывает о трёх семьях в трудное десятилетие.",
            "Спецэффекты не спасут фильм со слабым сюжетом.",
            "Кинотеатр в {city_prep} по воскресеньям показывает классические фильмы.",
            "Камера всё время держится близко к героям, и зритель чувствует себя частью семьи.",
            "Критики похвалили сценарий, но сочли финал слишком гладким.",
            "Я посмотрел фильм дважды и во второй раз заметил новые детали.",
        ),
    ),
    "reading": (
        (
            "Книги, которые я прочитал в этом году",
            "Как читать больше, не прилагая лишних усилий",
            "Любимые романы нашего книжного клуба",
        ),
        (
            "В этом году я прочитал {books}, в основном романы и несколько книг по истории.",
            "Полчаса чтения перед сном заменили мне бесконечную ленту в телефоне.",
            "Наш книжный клуб раз в месяц собирается в кафе, чтобы обсудить прочитанное.",
            "Роман рассказывает историю трёх поколений семьи рыбаков.",
            "Хороший перевод — это искусство, и переводчик заслуживает гораздо большего признания.",
            "{name_f} ведёт маленький блокнот с цитатами из каждой прочитанной книги.",
            "Книга начиналась медленно, но после первой сотни страниц я уже не мог оторваться.",
            "Публичные библиотеки остаются одной из лучших бесплатных услуг, которые может предложить город.",
            "С аудиокнигами долгая дорога на работу кажется гораздо короче.",
            "Автор несколько лет изучал историю края, прежде чем сесть за роман.",
            "Не каждую классику стоит дочитывать, и скучную книгу вполне можно отложить.",
            "Букинистические магазины в {city_prep} полны сюрпризов для терпеливых читателей.",
            "Рассказы идеально подходят, когда на чтение есть всего несколько минут.",
            "Финал романа оказался неожиданным, но совершенно правильным.",
            "Дети, которые видят читающих родителей, чаще начинают читать сами.",
        ),
    ),
    "beekeeping": (
        (
            "Мой первый год на пасеке",
            "Как подготовить пчёл к зиме",
            "Почему пчёлы важны для вашего сада",
        ),
        (
            "Летом в сильной семье может быть больше пятидесяти тысяч пчёл.",
            "В этом сезоне мы откачали {kg} мёда с двух ульев.",
            "Пчёлам нужен источник воды рядом с ульем, особенно в жаркие дни.",
            "Открывая улей, всегда надевайте сетку и двигайтесь медленно и спокойно.",
            "Осенью численность семьи сокращается, а пчёлы запасают мёд на зиму.",
            "{name_m} держит пчёл в своём саду под {city_instr} уже больше пятнадцати лет.",
            "Клещ варроа — самая серьёзная угроза для медоносных пчёл в Европе.",
            "Лаванда, клевер и фруктовые деревья дают пчёлам корм с весны до осени.",
            "В разгар лета матка может откладывать до двух тысяч яиц в день.",
            "Дым успокаивает пчёл, потому что заглушает сигналы тревоги, которые они передают друг другу.",
            "Роение обычно происходит в конце весны, когда семье становится тесно.",
            "Мёд в закрытой банке практически не портится.",
            "Местные пасечники продают мёд на фермерском рынке каждую субботу.",
            "Вкус мёда зависит от того, с каких цветов пчёлы собирали нектар.",
            "Проверяйте ульи в тёплый день после обеда, когда большинство пчёл улетело за нектаром.",
        ),
    ),
    "aviation": (
        (
            "Как пилоты готовятся к дальнему рейсу",
            "Учимся летать на лёгком самолёте",
            "Почему зимой задерживают рейсы",
        ),
        (
            "Перед каждым полётом экипаж изучает погоду по маршруту и в аэропорту назначения.",
            "Современные лайнеры могут безопасно лететь на одном двигателе несколько часов.",
            "Обработка крыльев от обледенения перед вылетом может задержать рейс на {min}.",
            "Чтобы научиться летать на лёгком самолёте, нужно не меньше сорока часов полётов с инструктором.",
            "Перелёт из {city_gen} занял {hours} из-за сильного встречного ветра.",
            "Турбулентность неприятна, но для большого самолёта она редко бывает опасной.",
            "{name_f} совершила первый самостоятельный полёт после двадцати двух часов обучения.",
            "Авиадиспетчеры разводят самолёты на безопасные расстояния по высоте и по горизонтали.",
            "Северные аэропорты всю зиму держат снегоуборочную технику наготове прямо у полосы.",
            "Небольшой аэродром за городом используют в основном планеристы и аэроклубы.",
            "Пилот должен регулярно отрабатывать аварийную посадку, чтобы сохранить свидетельство.",
            "Давление в салоне поддерживается примерно таким же, как в горном городке.",
            "В понедельник утром из-за тумана в аэропорту задержали {flights}.",
            "Новый терминал рассчитан на {big_passengers} в сутки.",
            "Топливо — самая большая статья расходов для большинства авиакомпаний.",
        ),
    ),
    "skiing": (
        (
            "Неделя на горнолыжном курорте",
            "Беговые лыжи для начинающих",
            "Как выбрать горнолыжные ботинки",
        ),
        (
            "На курорте {km} трасс, от пологих зелёных до крутых чёрных.",
            "Беговые лыжи — одна из лучших зимних тренировок для всего тела.",
            "Удобные ботинки важнее дорогих лыж.",
            "В первый день мы взяли урок, и остаток недели дался гораздо легче.",
            "Ночью выпал свежий снег, и утренние спуски были просто идеальными.",
            "{name_f} встала на лыжи в пятьдесят лет и теперь ездит в горы каждую зиму.",
            "Надевайте шлем, маску и несколько тонких слоёв одежды вместо одной толстой куртки.",
            "Недельный ски-пасс стоит около {price}, для детей действуют скидки.",
            "К лавинным предупреждениям нужно относиться серьёзно, если вы катаетесь вне размеченных трасс.",
            "Лыжню вокруг озера вечером освещают, так что можно покататься после работы.",
            "Регулярно смазывайте лыжи, особенно весной, когда снег мокрый.",
            "В конце дня мы согревались горячим шоколадом в горном кафе.",
            "Утром на верхней станции подъёмника было {temp}.",
            "Новичкам стоит оставаться на простых трассах, пока они уверенно не научатся тормозить и поворачивать.",
            "В марте снег тяжёлый и медленный, но солнце всё компенсирует.",
        ),
    ),
}


# Web prose in other languages (the language-ID stage should route these away). Slots: {name},
# {city}, {num} (a number from 5 to 20, so that plural nouns after it never need agreement).
OTHER_TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        "weather": (
            "Am Wochenende wird es in {city} sonnig und deutlich wärmer als in den letzten Tagen.",
            "Der Deutsche Wetterdienst warnt vor starkem Regen und Gewittern am Nachmittag.",
            "In der Nacht sinken die Temperaturen in den Bergen unter den Gefrierpunkt.",
            "Autofahrer sollten am Morgen mit Nebel und glatten Straßen rechnen.",
            "Der vergangene Sommer war einer der trockensten seit Beginn der Aufzeichnungen.",
            "Ab Mittwoch bringt ein Tiefdruckgebiet kühle Luft und kräftigen Wind aus Nordwesten.",
            "Die Bauern in der Region hoffen nach Wochen ohne Niederschlag endlich auf Regen.",
        ),
        "cooking": (
            "Für den Kuchen brauchen Sie Mehl, Zucker, Butter, drei Eier und ein Päckchen Backpulver.",
            "Die Kartoffeln werden geschält, in Würfel geschnitten und etwa {num} Minuten gekocht.",
            "Meine Großmutter hat den Apfelstrudel immer am Sonntag gebacken.",
            "Das Fleisch sollte vor dem Braten eine halbe Stunde bei Zimmertemperatur ruhen.",
            "Frische Kräuter geben der Suppe erst kurz vor dem Servieren ihren vollen Geschmack.",
            "Zum Abendessen gab es Bratwurst mit Sauerkraut und einem kühlen Bier.",
            "{name} empfiehlt, den Teig über Nacht im Kühlschrank gehen zu lassen.",
        ),
        "travel": (
            "Mit dem Zug fahren wir von {city} aus in knapp vier Stunden an die Ostsee.",
            "Die Altstadt ist klein, aber voller Cafés, Buchläden und schöner Fachwerkhäuser.",
            "Wir haben ein Zimmer in einer ruhigen Pension direkt am See gebucht.",
            "Die Wanderung auf den Gipfel dauert etwa drei Stunden und ist gut ausgeschildert.",
            "Im Sommer ist die Insel voller Touristen, deshalb reisen wir lieber im September.",
            "Das Museum ist montags geschlossen, an den anderen Tagen aber bis achtzehn Uhr geöffnet.",
            "Für die Fahrradtour entlang des Flusses sollte man mindestens zwei Tage einplanen.",
        ),
        "sport": (
            "Die Mannschaft aus {city} gewann das Heimspiel am Samstag mit zwei zu null.",
            "Der Trainer lobte nach dem Spiel vor allem die starke Abwehr seiner Spieler.",
            "Mehr als {num} tausend Zuschauer verfolgten das Spiel trotz des schlechten Wetters.",
            "Der junge Stürmer erzielte in der zweiten Halbzeit sein erstes Tor für den Verein.",
            "Nach der Verletzung wird der Kapitän voraussichtlich mehrere Wochen fehlen.",
            "Der Marathon führt durch die Innenstadt und endet vor dem Rathaus.",
            "Viele Vereine suchen dringend ehrenamtliche Trainer für ihre Jugendmannschaften.",
        ),
        "city": (
            "Die Stadt {city} wurde im Mittelalter als Handelsplatz an einem wichtigen Fluss gegründet.",
            "Der Dom wurde über mehrere Jahrhunderte gebaut und im neunzehnten Jahrhundert vollendet.",
            "Nach dem Krieg wurde ein großer Teil der Altstadt originalgetreu wieder aufgebaut.",
            "Heute leben in der Stadt viele Studenten, denn die Universität ist eine der ältesten des Landes.",
            "Der Wochenmarkt auf dem Rathausplatz findet jeden Dienstag und Freitag statt.",
            "Die alte Brücke gilt als Wahrzeichen der Stadt und wird gerade renoviert.",
            "Im Stadtmuseum erfährt man viel über die Geschichte des Handwerks in der Region.",
        ),
        "health": (
            "Ärzte empfehlen, jeden Tag mindestens eine halbe Stunde spazieren zu gehen.",
            "Wer ausreichend schläft, ist tagsüber konzentrierter und seltener krank.",
            "Die Grippewelle hat in diesem Winter früher begonnen als in den vergangenen Jahren.",
            "Viel Wasser zu trinken ist besonders an heißen Tagen wichtig.",
            "Die neue Praxis in {city} bietet auch Termine am Abend und am Samstag an.",
            "Eine ausgewogene Ernährung mit Gemüse, Obst und Vollkorn schützt das Herz.",
            "Bei Rückenschmerzen hilft oft schon regelmäßige Bewegung und eine bessere Haltung am Schreibtisch.",
        ),
        "tech": (
            "Das neue Smartphone hat eine bessere Kamera, aber der Akku hält kaum einen Tag.",
            "Viele Firmen setzen inzwischen auf Homeoffice und digitale Besprechungen.",
            "Die Software wurde gründlich überarbeitet und läuft jetzt deutlich schneller.",
            "Datenschutz ist für die meisten Nutzer wichtiger geworden als noch vor einigen Jahren.",
            "{name} arbeitet als Entwicklerin bei einem kleinen Unternehmen in {city}.",
            "Das Update schließt mehrere Sicherheitslücken und sollte sofort installiert werden.",
            "Schnelles Internet ist auf dem Land leider immer noch keine Selbstverständlichkeit.",
        ),
        "culture": (
            "Das Konzert im Stadtpark war bereits nach wenigen Stunden ausverkauft.",
            "Der neue Roman erzählt die Geschichte einer Familie über drei Generationen.",
            "Das Theater zeigt in dieser Saison vor allem Stücke junger Autorinnen und Autoren.",
            "Die Ausstellung im Kunstmuseum ist noch bis Ende des Monats zu sehen.",
            "Der Chor probt jeden Donnerstagabend im Gemeindehaus und freut sich über neue Stimmen.",
            "Beim Filmfestival wurden in diesem Jahr {num} Filme aus ganz Europa gezeigt.",
            "Die Bibliothek hat ihre Öffnungszeiten verlängert und bietet jetzt auch Lesungen für Kinder an.",
        ),
    },
    "fr": {
        "weather": (
            "Ce week-end, le soleil sera de retour à {city} avec des températures agréables.",
            "Météo-France a placé plusieurs départements en vigilance orange pour les orages.",
            "Les nuits restent fraîches en montagne, avec des gelées possibles en fin de semaine.",
            "Le brouillard pourrait gêner la circulation sur les routes tôt le matin.",
            "L'été dernier a été l'un des plus chauds jamais enregistrés dans le pays.",
            "Un vent fort venu de l'ouest soufflera sur toute la côte atlantique mercredi.",
            "Les agriculteurs attendent la pluie avec impatience après plusieurs semaines de sécheresse.",
        ),
        "cooking": (
            "Pour la tarte, il vous faut de la farine, du beurre, du sucre, des œufs et quelques pommes.",
            "Faites revenir les oignons dans une poêle avec un peu d'huile pendant {num} minutes.",
            "Ma grand-mère préparait toujours le pot-au-feu le dimanche pour toute la famille.",
            "Laissez reposer la pâte au réfrigérateur pendant au moins une heure avant de l'étaler.",
            "Ajoutez les herbes fraîches à la fin de la cuisson pour garder tout leur parfum.",
            "Nous avons servi le poisson avec des légumes de saison et une sauce au citron.",
            "{name} conseille de goûter la sauce avant de la saler une dernière fois.",
        ),
        "travel": (
            "En train, on rejoint la mer depuis {city} en un peu plus de trois heures.",
            "La vieille ville est petite, mais pleine de cafés, de librairies et de jolies places.",
            "Nous avons réservé une chambre dans une maison d'hôtes au bord du lac.",
            "La randonnée jusqu'au sommet prend environ quatre heures et le sentier est bien balisé.",
            "En été, l'île est envahie par les touristes, c'est pourquoi nous préférons y aller en septembre.",
            "Le musée est fermé le lundi, mais ouvert jusqu'à dix-huit heures les autres jours.",
            "Il faut compter au moins deux jours pour faire le tour du lac à vélo.",
        ),
        "sport": (
            "L'équipe de {city} a remporté le match à domicile samedi soir sur le score de deux à zéro.",
            "Après la rencontre, l'entraîneur a surtout salué la solidité de sa défense.",
            "Plus de {num} mille spectateurs ont assisté au match malgré la pluie.",
            "Le jeune attaquant a marqué son premier but pour le club en seconde période.",
            "Blessé au genou, le capitaine devrait être absent pendant plusieurs semaines.",
            "Le marathon traverse le centre-ville et se termine devant la mairie.",
            "De nombreux clubs cherchent des bénévoles pour encadrer les équipes de jeunes.",
        ),
        "city": (
            "La ville de {city} a été fondée au Moyen Âge comme un lieu de commerce sur la rivière.",
            "La cathédrale a été construite pendant plusieurs siècles et achevée au dix-neuvième siècle.",
            "Après la guerre, une grande partie du centre historique a été reconstruite à l'identique.",
            "Aujourd'hui, la ville accueille de nombreux étudiants grâce à son université très ancienne.",
            "Le marché se tient sur la place de la mairie tous les mardis et vendredis matin.",
            "Le vieux pont est devenu le symbole de la ville et fait actuellement l'objet de travaux.",
            "Le musée municipal raconte l'histoire des artisans et des commerçants de la région.",
        ),
        "health": (
            "Les médecins recommandent de marcher au moins trente minutes par jour.",
            "Un sommeil suffisant aide à rester concentré et à mieux résister aux maladies.",
            "L'épidémie de grippe a commencé plus tôt cette année que les années précédentes.",
            "Il est important de boire beaucoup d'eau pendant les fortes chaleurs.",
            "Le nouveau cabinet médical de {city} propose aussi des rendez-vous le samedi.",
            "Une alimentation riche en légumes, en fruits et en céréales complètes protège le cœur.",
            "Contre le mal de dos, une activité physique régulière est souvent le meilleur remède.",
        ),
        "tech": (
            "Le nouveau téléphone a un meilleur appareil photo, mais la batterie tient à peine une journée.",
            "Beaucoup d'entreprises ont adopté le télétravail et les réunions en ligne.",
            "Le logiciel a été entièrement revu et fonctionne maintenant beaucoup plus vite.",
            "La protection des données personnelles est devenue une priorité pour les utilisateurs.",
            "{name} travaille comme développeuse dans une petite entreprise de {city}.",
            "La mise à jour corrige plusieurs failles de sécurité et doit être installée rapidement.",
            "Dans les campagnes, l'accès à un internet rapide reste malheureusement difficile.",
        ),
        "culture": (
            "Le concert dans le parc municipal a affiché complet en quelques heures.",
            "Le nouveau roman raconte l'histoire d'une famille sur trois générations.",
            "Cette saison, le théâtre met à l'honneur les pièces de jeunes auteurs.",
            "L'exposition du musée des beaux-arts est prolongée jusqu'à la fin du mois.",
            "La chorale répète tous les jeudis soir et cherche de nouvelles voix.",
            "Le festival de cinéma a présenté cette année {num} films venus de toute l'Europe.",
            "La bibliothèque a élargi ses horaires et propose désormais des lectures pour les enfants.",
        ),
    },
    "uk": {
        "weather": (
            "На вихідних у місті {city} буде сонячно і значно тепліше, ніж минулого тижня.",
            "Синоптики попереджають про сильні дощі та грози в західних областях.",
            "Уночі в горах температура опуститься нижче нуля, можливі заморозки.",
            "Вранці на дорогах очікується туман, тому водіям варто бути обережними.",
            "Минуле літо стало одним із найспекотніших за всю історію спостережень.",
            "У середу сильний вітер із заходу пошириться на все узбережжя.",
            "Фермери чекають на дощ, адже вже кілька тижнів у регіоні панує посуха.",
        ),
        "cooking": (
            "Для борщу потрібні буряк, капуста, морква, цибуля, картопля і трохи томатної пасти.",
            "Цибулю обсмажте на олії протягом {num} хвилин, доки вона не стане золотистою.",
            "Моя бабуся завжди пекла пиріжки з вишнями в неділю для всієї родини.",
            "Тісто для вареників має відпочити щонайменше пів години під рушником.",
            "Свіжу зелень додавайте наприкінці, щоб страва зберегла свій аромат.",
            "На вечерю ми подали рибу з овочами та сметанним соусом.",
            "{name} радить куштувати страву перед тим, як досолити її востаннє.",
        ),
        "travel": (
            "Потягом із міста {city} до моря можна доїхати приблизно за шість годин.",
            "Старе місто невелике, але повне затишних кав'ярень, книгарень і гарних площ.",
            "Ми забронювали кімнату в маленькому гостьовому будинку біля озера.",
            "Підйом на вершину триває близько чотирьох годин, а стежка добре позначена.",
            "Улітку на узбережжі дуже багато туристів, тому ми їздимо туди у вересні.",
            "Музей не працює в понеділок, а в інші дні відчинений до шостої вечора.",
            "Щоб об'їхати озеро на велосипеді, варто закласти щонайменше два дні.",
        ),
        "sport": (
            "Команда з міста {city} виграла домашній матч у суботу з рахунком два-нуль.",
            "Після гри тренер насамперед похвалив надійну гру захисників.",
            "Попри дощ, на стадіоні зібралося понад {num} тисяч уболівальників.",
            "Молодий нападник забив свій перший гол за клуб у другому таймі.",
            "Через травму коліна капітан пропустить щонайменше кілька тижнів.",
            "Маршрут марафону пролягає через центр міста і завершується біля ратуші.",
            "Багато клубів шукають волонтерів, які могли б тренувати дитячі команди.",
        ),
        "city": (
            "Місто {city} було засноване в середньовіччі як торговельне поселення на березі річки.",
            "Собор будували кілька століть, а завершили лише в дев'ятнадцятому столітті.",
            "Після війни значну частину старого міста відбудували в первісному вигляді.",
            "Сьогодні тут живе багато студентів, адже місцевий університет є одним із найстаріших у країні.",
            "Ринок на площі біля ратуші працює щовівторка і щоп'ятниці.",
            "Старий міст вважають символом міста, і зараз його ремонтують.",
            "Міський музей розповідає про історію ремесел і торгівлі в цьому краї.",
        ),
        "health": (
            "Лікарі радять щодня гуляти на свіжому повітрі щонайменше пів години.",
            "Людина, яка достатньо спить, краще зосереджується і рідше хворіє.",
            "Цього року епідемія грипу почалася раніше, ніж у попередні роки.",
            "У спеку особливо важливо пити багато води.",
            "Нова поліклініка у місті {city} приймає пацієнтів також у суботу.",
            "Збалансоване харчування з овочами, фруктами та цільнозерновими продуктами береже серце.",
            "Від болю в спині часто допомагають регулярні вправи і правильна постава за столом.",
        ),
        "tech": (
            "Новий смартфон має кращу камеру, але батареї ледве вистачає на день.",
            "Багато компаній перейшли на віддалену роботу та онлайн-наради.",
            "Програму повністю переробили, і тепер вона працює значно швидше.",
            "Захист особистих даних став для користувачів важливішим, ніж кілька років тому.",
            "{name} працює розробницею в невеликій компанії у місті {city}.",
            "Оновлення виправляє кілька вразливостей, тому його варто встановити якнайшвидше.",
            "У селах швидкий інтернет, на жаль, досі залишається рідкістю.",
        ),
        "culture": (
            "Квитки на концерт у міському парку розкупили за кілька годин.",
            "Новий роман розповідає історію однієї родини протягом трьох поколінь.",
            "Цього сезону театр показує переважно вистави за п'єсами молодих авторів.",
            "Виставку в художньому музеї подовжили до кінця місяця.",
            "Хор репетирує щочетверга ввечері і запрошує нових співаків.",
            "Цього року на кінофестивалі показали {num} фільмів з усієї Європи.",
            "Бібліотека подовжила години роботи і тепер проводить читання для дітей.",
        ),
    },
    "es": {
        "weather": (
            "Este fin de semana volverá el sol a {city} con temperaturas muy agradables.",
            "La agencia de meteorología ha activado la alerta naranja por tormentas en el norte.",
            "Las noches seguirán siendo frías en la montaña, con heladas al final de la semana.",
            "La niebla podría dificultar la circulación en las carreteras a primera hora.",
            "El verano pasado fue uno de los más calurosos desde que existen registros.",
            "El miércoles soplará un viento fuerte del oeste en toda la costa.",
            "Los agricultores esperan la lluvia con preocupación tras varias semanas de sequía.",
        ),
        "cooking": (
            "Para la tortilla necesitas patatas, huevos, cebolla, aceite de oliva y un poco de sal.",
            "Sofríe la cebolla a fuego lento durante {num} minutos hasta que esté dorada.",
            "Mi abuela siempre preparaba la paella los domingos para toda la familia.",
            "Deja reposar la masa en la nevera al menos una hora antes de extenderla.",
            "Añade las hierbas frescas al final para que conserven todo su aroma.",
            "Servimos el pescado con verduras de temporada y una salsa de limón.",
            "{name} recomienda probar la salsa antes de añadir la sal por última vez.",
        ),
        "travel": (
            "En tren se llega a la costa desde {city} en poco más de tres horas.",
            "El casco antiguo es pequeño, pero está lleno de cafés, librerías y plazas bonitas.",
            "Reservamos una habitación en una casa rural junto al lago.",
            "La subida a la cumbre dura unas cuatro horas y el camino está bien señalizado.",
            "En verano la isla se llena de turistas, por eso preferimos viajar en septiembre.",
            "El museo cierra los lunes, pero el resto de la semana abre hasta las seis de la tarde.",
            "Para recorrer el río en bicicleta conviene reservar al menos dos días.",
        ),
        "sport": (
            "El equipo de {city} ganó el partido en casa el sábado por dos goles a cero.",
            "Tras el encuentro, el entrenador elogió sobre todo el trabajo de la defensa.",
            "Más de {num} mil aficionados siguieron el partido a pesar de la lluvia.",
            "El joven delantero marcó su primer gol con el club en la segunda parte.",
            "Por una lesión de rodilla, el capitán estará de baja varias semanas.",
            "El maratón recorre el centro de la ciudad y termina frente al ayuntamiento.",
            "Muchos clubes buscan voluntarios para entrenar a los equipos infantiles.",
        ),
        "city": (
            "La ciudad de {city} fue fundada en la Edad Media como un importante centro comercial.",
            "La catedral se construyó a lo largo de varios siglos y se terminó en el siglo diecinueve.",
            "Después de la guerra, gran parte del casco histórico fue reconstruida tal como era.",
            "Hoy viven en la ciudad muchos estudiantes, porque su universidad es una de las más antiguas del país.",
            "El mercado se celebra en la plaza del ayuntamiento todos los martes y viernes.",
            "El puente viejo es el símbolo de la ciudad y ahora mismo está en obras.",
            "El museo municipal cuenta la historia de los artesanos y comerciantes de la región.",
        ),
        "health": (
            "Los médicos recomiendan caminar al menos media hora todos los días.",
            "Dormir lo suficiente ayuda a concentrarse mejor y a enfermar con menos frecuencia.",
            "Este año la epidemia de gripe ha empezado antes que en años anteriores.",
            "Es muy importante beber mucha agua durante las olas de calor.",
            "El nuevo centro de salud de {city} también atiende a pacientes los sábados.",
            "Una dieta rica en verduras, frutas y cereales integrales protege el corazón.",
            "Para el dolor de espalda suele ayudar el ejercicio regular y una buena postura en el trabajo.",
        ),
        "tech": (
            "El nuevo teléfono tiene una cámara mejor, pero la batería apenas dura un día.",
            "Muchas empresas han apostado por el teletrabajo y las reuniones por internet.",
            "El programa ha sido completamente renovado y ahora funciona mucho más rápido.",
            "La protección de los datos personales se ha vuelto una prioridad para los usuarios.",
            "{name} trabaja como desarrolladora en una pequeña empresa de {city}.",
            "La actualización corrige varios fallos de seguridad y conviene instalarla cuanto antes.",
            "En los pueblos, el acceso a internet rápido sigue siendo un problema.",
        ),
        "culture": (
            "Las entradas para el concierto en el parque se agotaron en pocas horas.",
            "La nueva novela cuenta la historia de una familia a lo largo de tres generaciones.",
            "Esta temporada el teatro presenta sobre todo obras de autores jóvenes.",
            "La exposición del museo de bellas artes se ha prolongado hasta finales de mes.",
            "El coro ensaya todos los jueves por la tarde y busca nuevas voces.",
            "El festival de cine ha presentado este año {num} películas de toda Europa.",
            "La biblioteca ha ampliado su horario y ahora organiza lecturas para niños.",
        ),
    },
    "pl": {
        "weather": (
            "W ten weekend w mieście {city} będzie słonecznie i znacznie cieplej niż w zeszłym tygodniu.",
            "Synoptycy ostrzegają przed silnymi opadami deszczu i burzami na południu kraju.",
            "W nocy w górach temperatura spadnie poniżej zera i możliwe są przymrozki.",
            "Rano na drogach może pojawić się gęsta mgła, dlatego kierowcy powinni zachować ostrożność.",
            "Ubiegłe lato było jednym z najgorętszych w historii pomiarów.",
            "W środę silny wiatr z zachodu obejmie całe wybrzeże.",
            "Rolnicy z niecierpliwością czekają na deszcz po kilku tygodniach suszy.",
        ),
        "cooking": (
            "Do pierogów potrzebna jest mąka, woda, szczypta soli oraz farsz z ziemniaków i twarogu.",
            "Cebulę podsmaż na oleju przez {num} minut, aż będzie złocista.",
            "Moja babcia zawsze piekła w niedzielę szarlotkę dla całej rodziny.",
            "Ciasto powinno odpocząć w lodówce co najmniej godzinę przed rozwałkowaniem.",
            "Świeże zioła dodaj na samym końcu, żeby zachowały swój aromat.",
            "Na kolację podaliśmy rybę z warzywami i sosem koperkowym.",
            "{name} radzi spróbować zupy, zanim dosoli się ją po raz ostatni.",
        ),
        "travel": (
            "Pociągiem z miasta {city} nad morze można dojechać w niecałe pięć godzin.",
            "Stare miasto jest niewielkie, ale pełne kawiarni, księgarni i pięknych kamienic.",
            "Zarezerwowaliśmy pokój w małym pensjonacie nad jeziorem.",
            "Wejście na szczyt zajmuje około czterech godzin, a szlak jest dobrze oznakowany.",
            "Latem na wyspie jest mnóstwo turystów, dlatego wolimy jeździć tam we wrześniu.",
            "Muzeum jest nieczynne w poniedziałki, a w pozostałe dni otwarte do osiemnastej.",
            "Na objazd jeziora rowerem warto zarezerwować co najmniej dwa dni.",
        ),
        "sport": (
            "Drużyna z miasta {city} wygrała sobotni mecz u siebie dwa do zera.",
            "Po meczu trener szczególnie pochwalił grę obrońców.",
            "Mimo deszczu mecz obejrzało ponad {num} tysięcy kibiców.",
            "Młody napastnik strzelił swojego pierwszego gola dla klubu w drugiej połowie.",
            "Z powodu kontuzji kolana kapitan nie zagra przez kilka tygodni.",
            "Trasa maratonu prowadzi przez centrum miasta i kończy się przed ratuszem.",
            "Wiele klubów szuka wolontariuszy, którzy mogliby trenować drużyny młodzieżowe.",
        ),
        "city": (
            "Miasto {city} zostało założone w średniowieczu jako ważny ośrodek handlowy nad rzeką.",
            "Katedrę budowano przez kilka stuleci, a ukończono ją dopiero w dziewiętnastym wieku.",
            "Po wojnie dużą część starego miasta odbudowano w pierwotnym kształcie.",
            "Dziś mieszka tu wielu studentów, ponieważ miejscowy uniwersytet należy do najstarszych w kraju.",
            "Targ na rynku przed ratuszem odbywa się w każdy wtorek i piątek.",
            "Stary most jest symbolem miasta i właśnie przechodzi remont.",
            "Muzeum miejskie opowiada o historii rzemiosła i handlu w regionie.",
        ),
        "health": (
            "Lekarze zalecają codzienny spacer trwający co najmniej pół godziny.",
            "Kto wysypia się regularnie, lepiej się koncentruje i rzadziej choruje.",
            "W tym roku epidemia grypy zaczęła się wcześniej niż w poprzednich latach.",
            "Podczas upałów szczególnie ważne jest picie dużej ilości wody.",
            "Nowa przychodnia w mieście {city} przyjmuje pacjentów także w soboty.",
            "Zbilansowana dieta bogata w warzywa, owoce i produkty pełnoziarniste chroni serce.",
            "Na ból pleców często pomagają regularne ćwiczenia i prawidłowa postawa przy biurku.",
        ),
        "tech": (
            "Nowy smartfon ma lepszy aparat, ale bateria ledwo wystarcza na jeden dzień.",
            "Wiele firm przeszło na pracę zdalną i spotkania przez internet.",
            "Program został całkowicie przebudowany i teraz działa znacznie szybciej.",
            "Ochrona danych osobowych stała się dla użytkowników ważniejsza niż kilka lat temu.",
            "{name} pracuje jako programistka w niewielkiej firmie w mieście {city}.",
            "Aktualizacja usuwa kilka luk w zabezpieczeniach i należy ją jak najszybciej zainstalować.",
            "Na wsiach szybki internet wciąż niestety nie jest oczywistością.",
        ),
        "culture": (
            "Bilety na koncert w parku miejskim wyprzedały się w ciągu kilku godzin.",
            "Nowa powieść opowiada historię jednej rodziny na przestrzeni trzech pokoleń.",
            "W tym sezonie teatr wystawia przede wszystkim sztuki młodych autorów.",
            "Wystawę w muzeum sztuki przedłużono do końca miesiąca.",
            "Chór ćwiczy w każdy czwartek wieczorem i chętnie przyjmie nowe głosy.",
            "Na festiwalu filmowym pokazano w tym roku {num} filmów z całej Europy.",
            "Biblioteka wydłużyła godziny otwarcia i organizuje teraz czytanie dla dzieci.",
        ),
    },
}

# Share of each other language among the other-language documents of cc.
OTHER_LANG_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("de", 30),
    ("fr", 22),
    ("uk", 22),
    ("es", 15),
    ("pl", 11),
)


# Generic web sentences that may open or close a cc page (kept few so pages stay on topic).
WEB_EXTRAS: dict[str, tuple[str, ...]] = {
    "en": (
        "Thanks for reading, and let me know in the comments what you think.",
        "I will update this post if anything changes.",
        "This article was first published on our blog {ago}.",
        "Feel free to share your own experience below.",
        "A few readers asked me to write about this, so here it is.",
        "Photos in this post were taken by the author.",
        "If you found this useful, you might also like our other guides.",
        "Prices and details were correct at the time of writing.",
    ),
    "ru": (
        "Спасибо, что дочитали, и напишите в комментариях, что вы об этом думаете.",
        "Если что-то изменится, я обязательно дополню эту запись.",
        "Эта статья впервые была опубликована в нашем блоге {ago}.",
        "Делитесь своим опытом в комментариях.",
        "Несколько читателей попросили меня написать об этом, так что вот.",
        "Все фотографии в записи сделаны автором.",
        "Если материал оказался полезным, загляните и в другие наши статьи.",
        "Цены и подробности указаны на момент написания статьи.",
    ),
}

# Short junk (< 150 characters): navigation, banners, buttons, counters and other page debris.
JUNK: dict[str, tuple[str, ...]] = {
    "en": (
        "{menu}",
        "We use cookies to improve your experience. By continuing to browse, you agree to our {Cookie Policy|Privacy Policy}. {Accept|OK|Got it}",
        "This site uses cookies. {Learn more|More info} | {Accept all|Accept} | {Reject|Settings}",
        "Click here to download the {full version|PDF|price list} ({num} MB)",
        "Click here to {subscribe|read more|see all photos|continue}",
        "Page {num} of {num2}",
        "Showing {num}-{num2} of {big} results",
        "« Previous | Next »",
        "© {year} {site}. All rights reserved.",
        "Copyright {year} {site} | Terms of use | Privacy",
        "Share: Facebook | Twitter | Email | Print",
        "Posted by {name} on {date} | {num} comments",
        "Tags: {tag}, {tag2}, {tag3}",
        "Read more »",
        "Loading...",
        "Subscribe to our newsletter and get {pct_plain}% off your first order!",
        "Error 404: the page you are looking for does not exist. Go back to the homepage.",
        "Log in | Register | Forgot your password?",
        "Comments ({num})",
        "Sponsored content",
        "Advertisement",
        "Sign up for free",
        "{num} people found this helpful. Was this review helpful? Yes | No",
        "Related posts: {frag}",
        "{frag}",
        "{frag} Read more",
        "Last updated: {date}",
        "Follow us on Instagram @{handle}",
        "Skip to main content",
        "Free shipping on orders over {money}",
    ),
    "ru": (
        "{menu}",
        "Мы используем файлы cookie, чтобы сайт работал лучше. Продолжая пользоваться сайтом, вы соглашаетесь с этим. {Принять|ОК|Понятно}",
        "Сайт использует cookie. {Подробнее|Узнать больше} | {Принять все|Принять}",
        "Нажмите здесь, чтобы скачать {полную версию|прайс-лист|инструкцию} ({num} МБ)",
        "Нажмите сюда, чтобы {подписаться|читать дальше|посмотреть все фото|продолжить}",
        "Страница {num} из {num2}",
        "Показано {num}–{num2} из {big} товаров",
        "« Назад | Вперёд »",
        "© {year} {site}. Все права защищены.",
        "{site} © {year} | Пользовательское соглашение | Политика конфиденциальности",
        "Поделиться: ВКонтакте | Telegram | Одноклассники",
        "Опубликовано {date} | Автор: {name} | Комментарии: {num}",
        "Теги: {tag}, {tag2}, {tag3}",
        "Читать далее »",
        "Загрузка...",
        "Подпишитесь на рассылку и получите скидку {pct_plain}% на первый заказ!",
        "Ошибка 404: страница не найдена. Вернуться на главную.",
        "Вход | Регистрация | Забыли пароль?",
        "Комментарии ({num})",
        "Реклама",
        "Партнёрский материал",
        "Зарегистрироваться бесплатно",
        "Отзыв был полезен {num} читателям. Вам помог этот отзыв? Да | Нет",
        "Читайте также: {frag}",
        "{frag}",
        "{frag} Подробнее",
        "Обновлено: {date}",
        "Подписывайтесь на наш канал в Telegram: @{handle}",
        "Перейти к основному содержанию",
        "Бесплатная доставка при заказе от {money}",
    ),
}

JUNK_MENU: dict[str, tuple[str, ...]] = {
    "en": (
        "Home",
        "About",
        "About us",
        "Contact",
        "Blog",
        "News",
        "Shop",
        "Services",
        "FAQ",
        "Careers",
        "Events",
        "Gallery",
        "Recipes",
        "Login",
        "Search",
        "Sitemap",
        "Help",
        "Archive",
    ),
    "ru": (
        "Главная",
        "О нас",
        "О компании",
        "Контакты",
        "Блог",
        "Новости",
        "Магазин",
        "Услуги",
        "Вопросы и ответы",
        "Вакансии",
        "События",
        "Галерея",
        "Рецепты",
        "Вход",
        "Поиск",
        "Карта сайта",
        "Помощь",
        "Архив",
    ),
}

JUNK_TAGS: dict[str, tuple[str, ...]] = {
    "en": (
        "recipes",
        "dinner",
        "travel",
        "trains",
        "space",
        "football",
        "garden",
        "history",
        "coding",
        "health",
        "weather",
        "music",
        "photo",
        "bikes",
        "fishing",
        "money",
        "DIY",
        "pets",
        "hiking",
        "chess",
        "coffee",
        "cars",
        "school",
        "movies",
        "books",
        "bees",
        "flying",
        "skiing",
    ),
    "ru": (
        "рецепты",
        "ужин",
        "путешествия",
        "поезда",
        "космос",
        "футбол",
        "дача",
        "история",
        "программирование",
        "здоровье",
        "погода",
        "музыка",
        "фото",
        "велосипед",
        "рыбалка",
        "финансы",
        "ремонт",
        "питомцы",
        "походы",
        "шахматы",
        "кофе",
        "авто",
        "школа",
        "кино",
        "книги",
        "пчёлы",
        "авиация",
        "лыжи",
    ),
}

# Word or phrase replacements used for paraphrase-like variants. Only exact (case-sensitive at the
# first letter, see corpus._swap_words) whole-word matches are replaced.
SYNONYMS: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("usually", "normally"),
        ("small", "little"),
        ("large", "big"),
        ("quickly", "fast"),
        ("simple", "basic"),
        ("begin", "start"),
        ("often", "frequently"),
        ("almost", "nearly"),
        ("town", "city"),
        ("important", "essential"),
        ("helps", "aids"),
        ("best", "finest"),
        ("good", "decent"),
        ("buy", "purchase"),
        ("several", "a few"),
        ("difficult", "hard"),
        ("later", "afterwards"),
        ("whole", "entire"),
        ("friends", "pals"),
        ("cheap", "inexpensive"),
        ("shows", "displays"),
        ("expensive", "costly"),
        ("calm", "still"),
        ("started", "began"),
        ("slowly", "gradually"),
    ),
    "ru": (
        ("обычно", "как правило"),
        ("нужно", "необходимо"),
        ("маленький", "небольшой"),
        ("быстро", "стремительно"),
        ("простой", "несложный"),
        ("часто", "нередко"),
        ("почти", "практически"),
        ("обязательно", "непременно"),
        ("легко", "просто"),
        ("хорошо", "отлично"),
        ("важно", "существенно"),
        ("помогает", "позволяет"),
        ("лучший", "наилучший"),
        ("хороший", "неплохой"),
        ("очень", "весьма"),
        ("потом", "затем"),
        ("дешёвый", "недорогой"),
        ("сейчас", "теперь"),
        ("гораздо", "намного"),
        ("медленно", "неторопливо"),
        ("спокойно", "неспешно"),
        ("сильный", "мощный"),
        ("снова", "опять"),
        ("сразу", "немедленно"),
        ("маленькой", "небольшой"),
    ),
    "math": (
        ("Therefore", "Hence"),
        ("we obtain", "we get"),
        ("show", "prove"),
        ("arbitrary", "any"),
        ("Note", "Observe"),
        ("clearly", "obviously"),
        ("It follows that", "Consequently"),
        ("consider", "look at"),
        ("satisfies", "fulfils"),
        ("function", "map"),
        ("In particular", "Specifically"),
        ("shows", "proves"),
        ("assume", "suppose"),
        ("Recall", "Remember"),
        ("We have", "One has"),
        ("exactly", "precisely"),
        ("unique", "only"),
        ("compute", "calculate"),
        ("Compute", "Calculate"),
        ("Find", "Determine"),
        ("find", "determine"),
        ("Thanks", "Thank you"),
        ("Since", "As"),
    ),
}


# ---------------------------------------------------------------------------------------------
# Words that fill the named slots (see corpus._Slots for the slots computed from numbers).
# Russian cities: (nominative, genitive, prepositional, instrumental, accusative).
# ---------------------------------------------------------------------------------------------

EN_WORDS: dict[str, tuple[str, ...]] = {
    "name_m": (
        "Oliver",
        "James",
        "Harry",
        "Thomas",
        "George",
        "Daniel",
        "Samuel",
        "Jack",
        "Michael",
        "David",
        "Peter",
        "Andrew",
        "Robert",
        "Lucas",
        "Ethan",
        "Simon",
        "Mark",
        "Paul",
        "Owen",
        "Henry",
        "Adam",
        "Max",
        "Leo",
        "Ben",
    ),
    "name_f": (
        "Emma",
        "Olivia",
        "Sophie",
        "Charlotte",
        "Amelia",
        "Grace",
        "Lucy",
        "Hannah",
        "Emily",
        "Chloe",
        "Jessica",
        "Laura",
        "Rachel",
        "Anna",
        "Kate",
        "Ruth",
        "Claire",
        "Helen",
        "Megan",
        "Alice",
        "Ellie",
        "Zoe",
        "Mia",
        "Nora",
    ),
    "surname": (
        "Smith",
        "Taylor",
        "Brown",
        "Wilson",
        "Evans",
        "Walker",
        "Wright",
        "Robinson",
        "Thompson",
        "Hughes",
        "Edwards",
        "Green",
        "Hall",
        "Wood",
        "Harris",
        "Clarke",
        "Turner",
        "Cooper",
        "Hill",
        "Ward",
        "Morris",
        "Baker",
        "Carter",
        "Parker",
        "Collins",
        "Bennett",
        "Fletcher",
        "Marsh",
    ),
    "city": (
        "Leeds",
        "Bristol",
        "York",
        "Norwich",
        "Exeter",
        "Glasgow",
        "Cardiff",
        "Dublin",
        "Boston",
        "Denver",
        "Portland",
        "Toronto",
        "Ottawa",
        "Chicago",
        "Seattle",
        "Melbourne",
        "Bath",
        "Durham",
        "Oxford",
        "Cambridge",
        "Brighton",
        "Aberdeen",
        "Manchester",
        "Liverpool",
    ),
    "team": (
        "Northfield United",
        "Riverside Rovers",
        "Eastbridge City",
        "Harbour Town",
        "Westgate Athletic",
        "Kingsley Wanderers",
        "Millbrook FC",
        "Old Castle Rangers",
        "Redhill Albion",
        "Stonebury Town",
    ),
    "band": (
        "The Northern Lights",
        "Paper Moons",
        "Quiet Harbour",
        "The Late Trains",
        "Silver Birch",
        "Glass Rivers",
        "The Weathermen",
        "Blue Kettle",
    ),
    "lang": ("Python", "Java", "Go", "Rust", "PHP", "Ruby", "JavaScript", "Kotlin", "C#", "Scala"),
    "petname": (
        "Max",
        "Bella",
        "Charlie",
        "Luna",
        "Rocky",
        "Daisy",
        "Milo",
        "Pepper",
        "Biscuit",
        "Rosie",
        "Toby",
        "Coco",
    ),
    "street": (
        "Mill Lane",
        "Church Street",
        "Station Road",
        "the High Street",
        "Victoria Road",
        "Bridge Street",
        "Market Square",
        "King Street",
        "Queen's Road",
        "Park Avenue",
    ),
    "month_name": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "site": (
        "GreenKitchen",
        "CityGuide",
        "RailFans",
        "StarWatch",
        "HomeFix",
        "TechDaily",
        "BookNook",
        "BikeWorld",
        "PetCorner",
        "FinanceHub",
        "TrailNotes",
        "ChessClub Online",
    ),
    "handle": (
        "cityguide",
        "greenkitchen",
        "railfans_uk",
        "homefix_daily",
        "booknook",
        "trail_notes",
        "starwatch_club",
        "bike_world",
    ),
}

RU_WORDS: dict[str, tuple[str, ...]] = {
    "name_m": (
        "Алексей",
        "Дмитрий",
        "Сергей",
        "Андрей",
        "Михаил",
        "Иван",
        "Николай",
        "Павел",
        "Артём",
        "Егор",
        "Максим",
        "Олег",
        "Виктор",
        "Кирилл",
        "Роман",
        "Игорь",
        "Фёдор",
        "Степан",
        "Григорий",
        "Антон",
    ),
    "name_f": (
        "Анна",
        "Мария",
        "Елена",
        "Ольга",
        "Наталья",
        "Ирина",
        "Татьяна",
        "Светлана",
        "Екатерина",
        "Дарья",
        "Полина",
        "Алёна",
        "Юлия",
        "Ксения",
        "Вера",
        "Людмила",
        "Галина",
        "Марина",
        "Софья",
        "Варвара",
    ),
    "surname": (
        "Иванов",
        "Смирнов",
        "Кузнецов",
        "Попов",
        "Соколов",
        "Лебедев",
        "Козлов",
        "Новиков",
        "Морозов",
        "Волков",
        "Соловьёв",
        "Васильев",
        "Зайцев",
        "Павлов",
        "Семёнов",
        "Голубев",
        "Виноградов",
        "Богданов",
        "Воробьёв",
        "Фёдоров",
        "Михайлов",
        "Беляев",
        "Тарасов",
        "Белов",
    ),
    "team": (
        "«Северная звезда»",
        "«Волна»",
        "«Металлург»",
        "«Речник»",
        "«Энергия»",
        "«Сокол»",
        "«Торпедо-Юг»",
        "«Заря»",
        "«Искра»",
        "«Авангард»",
    ),
    "band": (
        "«Северный ветер»",
        "«Тихая гавань»",
        "«Бумажные птицы»",
        "«Последний трамвай»",
        "«Белые ночи»",
        "«Стеклянный сад»",
        "«Полярный круг»",
        "«Чайный гриб»",
    ),
    "lang": ("Python", "Java", "Go", "Rust", "PHP", "Ruby", "JavaScript", "Kotlin", "C#", "Scala"),
    "petname": (
        "Барсик",
        "Рыжик",
        "Тоша",
        "Кузя",
        "Снежок",
        "Пират",
        "Граф",
        "Бублик",
        "Федя",
        "Лорд",
    ),
    "street_prep": (
        "улице Гагарина",
        "Садовой улице",
        "Пушкинской улице",
        "улице Мира",
        "Набережной улице",
        "Советской улице",
        "улице Ломоносова",
        "Вокзальной улице",
        "Лесной улице",
        "улице Чехова",
    ),
    "site": (
        "ДомСад",
        "ГородГид",
        "Кухня дома",
        "Железка.ру",
        "Звёздный клуб",
        "МастерДом",
        "Читай-ка",
        "ВелоМир",
        "Лапа и хвост",
        "Деньги просто",
    ),
    "handle": (
        "domsad",
        "gorodgid",
        "kuhnya_doma",
        "zhelezka",
        "zvezdny_klub",
        "masterdom",
        "chitayka",
        "velomir",
    ),
}

RU_CITIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("Казань", "Казани", "Казани", "Казанью", "Казань"),
    ("Самара", "Самары", "Самаре", "Самарой", "Самару"),
    ("Тверь", "Твери", "Твери", "Тверью", "Тверь"),
    ("Ярославль", "Ярославля", "Ярославле", "Ярославлем", "Ярославль"),
    ("Вологда", "Вологды", "Вологде", "Вологдой", "Вологду"),
    ("Пермь", "Перми", "Перми", "Пермью", "Пермь"),
    ("Томск", "Томска", "Томске", "Томском", "Томск"),
    ("Иркутск", "Иркутска", "Иркутске", "Иркутском", "Иркутск"),
    ("Новосибирск", "Новосибирска", "Новосибирске", "Новосибирском", "Новосибирск"),
    ("Екатеринбург", "Екатеринбурга", "Екатеринбурге", "Екатеринбургом", "Екатеринбург"),
    (
        "Нижний Новгород",
        "Нижнего Новгорода",
        "Нижнем Новгороде",
        "Нижним Новгородом",
        "Нижний Новгород",
    ),
    ("Воронеж", "Воронежа", "Воронеже", "Воронежем", "Воронеж"),
    ("Калуга", "Калуги", "Калуге", "Калугой", "Калугу"),
    ("Псков", "Пскова", "Пскове", "Псковом", "Псков"),
    ("Смоленск", "Смоленска", "Смоленске", "Смоленском", "Смоленск"),
    ("Рязань", "Рязани", "Рязани", "Рязанью", "Рязань"),
    ("Владимир", "Владимира", "Владимире", "Владимиром", "Владимир"),
    ("Архангельск", "Архангельска", "Архангельске", "Архангельском", "Архангельск"),
    ("Мурманск", "Мурманска", "Мурманске", "Мурманском", "Мурманск"),
    ("Краснодар", "Краснодара", "Краснодаре", "Краснодаром", "Краснодар"),
    ("Саратов", "Саратова", "Саратове", "Саратовом", "Саратов"),
    ("Омск", "Омска", "Омске", "Омском", "Омск"),
    ("Петрозаводск", "Петрозаводска", "Петрозаводске", "Петрозаводском", "Петрозаводск"),
    ("Кострома", "Костромы", "Костроме", "Костромой", "Кострому"),
)

RU_MONTHS: tuple[tuple[str, str], ...] = (
    ("январе", "января"),
    ("феврале", "февраля"),
    ("марте", "марта"),
    ("апреле", "апреля"),
    ("мае", "мая"),
    ("июне", "июня"),
    ("июле", "июля"),
    ("августе", "августа"),
    ("сентябре", "сентября"),
    ("октябре", "октября"),
    ("ноябре", "ноября"),
    ("декабре", "декабря"),
)

OTHER_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        "name": (
            "Anna",
            "Katrin",
            "Julia",
            "Sabine",
            "Lena",
            "Miriam",
            "Petra",
            "Johanna",
            "Clara",
            "Franziska",
        ),
        "city": (
            "Leipzig",
            "Freiburg",
            "Hamburg",
            "Dresden",
            "Münster",
            "Bremen",
            "Kassel",
            "Augsburg",
            "Rostock",
            "Heidelberg",
        ),
    },
    "fr": {
        "name": (
            "Camille",
            "Julie",
            "Claire",
            "Sophie",
            "Élodie",
            "Manon",
            "Chloé",
            "Margaux",
            "Pauline",
            "Lucie",
        ),
        "city": (
            "Lyon",
            "Nantes",
            "Bordeaux",
            "Toulouse",
            "Lille",
            "Rennes",
            "Grenoble",
            "Montpellier",
            "Strasbourg",
            "Dijon",
        ),
    },
    "uk": {
        "name": (
            "Оксана",
            "Олена",
            "Ірина",
            "Наталія",
            "Марія",
            "Софія",
            "Галина",
            "Тетяна",
            "Христина",
            "Катерина",
        ),
        "city": (
            "Львів",
            "Полтава",
            "Чернігів",
            "Житомир",
            "Вінниця",
            "Луцьк",
            "Ужгород",
            "Тернопіль",
            "Суми",
            "Рівне",
        ),
    },
    "es": {
        "name": (
            "Lucía",
            "María",
            "Carmen",
            "Elena",
            "Sofía",
            "Marta",
            "Paula",
            "Laura",
            "Isabel",
            "Ana",
        ),
        "city": (
            "Sevilla",
            "Valencia",
            "Bilbao",
            "Granada",
            "Zaragoza",
            "Málaga",
            "Salamanca",
            "Murcia",
            "Valladolid",
            "Córdoba",
        ),
    },
    "pl": {
        "name": (
            "Anna",
            "Katarzyna",
            "Magdalena",
            "Agnieszka",
            "Joanna",
            "Ewa",
            "Monika",
            "Karolina",
            "Zofia",
            "Marta",
        ),
        "city": (
            "Kraków",
            "Gdańsk",
            "Poznań",
            "Wrocław",
            "Lublin",
            "Toruń",
            "Katowice",
            "Szczecin",
            "Białystok",
            "Rzeszów",
        ),
    },
}

# Encyclopedic name parts (wiki). Towns, rivers and people are invented but plausible.
WIKI_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "town_a": (
            "Ash",
            "Bram",
            "Cald",
            "Dun",
            "Elm",
            "Fair",
            "Glen",
            "Hart",
            "Kings",
            "Lang",
            "Mill",
            "Nor",
            "Oak",
            "Red",
            "Stan",
            "Thorn",
            "Wes",
            "Wood",
            "Brook",
            "Silver",
            "Ravens",
            "Hazel",
            "Whit",
            "Marl",
        ),
        "town_b": (
            "ford",
            "ton",
            "bury",
            "field",
            "wick",
            "ley",
            "mouth",
            "bridge",
            "stead",
            "ham",
            "worth",
            "dale",
            "combe",
            "borough",
            "minster",
            "well",
        ),
        "river": (
            "Wend",
            "Alder",
            "Lune",
            "Brae",
            "Colne",
            "Tarrow",
            "Isel",
            "Merren",
            "Sowe",
            "Leden",
            "Ouse",
            "Teme",
            "Frome",
            "Calder",
        ),
        "region": (
            "Kent",
            "Devon",
            "Somerset",
            "Norfolk",
            "Suffolk",
            "Dorset",
            "Wiltshire",
            "Shropshire",
            "Cumbria",
            "North Yorkshire",
            "Lincolnshire",
            "Herefordshire",
            "Cornwall",
            "Northumberland",
        ),
        "saint": (
            "Mary",
            "Peter",
            "Andrew",
            "Michael",
            "John the Baptist",
            "Lawrence",
            "Margaret",
            "Nicholas",
            "Helen",
            "James",
        ),
        "field": (
            "physicist",
            "chemist",
            "mathematician",
            "geologist",
            "astronomer",
            "biologist",
            "engineer",
            "statistician",
        ),
        "topic": (
            "crystal structures",
            "the theory of elasticity",
            "numerical weather prediction",
            "the ecology of freshwater lakes",
            "radio astronomy",
            "the chemistry of soils",
            "probability theory",
            "fluid mechanics",
            "plant genetics",
            "the history of geological maps",
        ),
        "univ": (
            "Cambridge",
            "Oxford",
            "Edinburgh",
            "Manchester",
            "Glasgow",
            "Durham",
            "Leeds",
            "Bristol",
            "London",
            "St Andrews",
        ),
        "family": (
            "Acrocephalidae",
            "Sylviidae",
            "Phylloscopidae",
            "Locustellidae",
            "Cisticolidae",
        ),
        "range_en": (
            "Europe and western Asia",
            "northern Europe",
            "eastern Europe and Siberia",
            "the Mediterranean region",
            "central Asia",
            "the British Isles and Scandinavia",
        ),
        "bird_a": (
            "marsh",
            "reed",
            "willow",
            "sedge",
            "river",
            "moustached",
            "grasshopper",
            "paddyfield",
            "olive",
            "barred",
        ),
        "bird_b": ("warbler", "chat", "pipit", "bunting", "thrush", "flycatcher"),
        "lake_a": (
            "Black",
            "Long",
            "Crag",
            "Hawes",
            "Brother",
            "Eel",
            "Mire",
            "Scale",
            "Elter",
            "Loughrigg",
            "Red",
            "Swan",
        ),
        "lake_b": ("Water", "Tarn", "Mere", "Lake"),
    },
    "ru": {
        "town_a": (
            "Бело",
            "Красно",
            "Ново",
            "Старо",
            "Сосно",
            "Камено",
            "Ясно",
            "Светло",
            "Тихо",
            "Зелено",
            "Долго",
            "Высоко",
            "Черно",
            "Глубоко",
            "Медве",
            "Лесо",
        ),
        "town_b": (
            "горск",
            "озёрск",
            "реченск",
            "дольск",
            "польск",
            "борск",
            "ярск",
            "мостовск",
            "бережск",
            "ключевск",
        ),
        "river": (
            "Сосновка",
            "Быстрица",
            "Ключевая",
            "Лосьва",
            "Ветлуга",
            "Шача",
            "Кокшенга",
            "Сухона",
            "Мокша",
            "Унжа",
            "Ламь",
            "Вохма",
            "Тесьма",
            "Вилюйка",
        ),
        "region": (
            "Вологодской области",
            "Тверской области",
            "Костромской области",
            "Кировской области",
            "Псковской области",
            "Архангельской области",
            "Новгородской области",
            "Ярославской области",
            "Владимирской области",
            "Пермской области",
        ),
        "first_m": (
            "Николай",
            "Пётр",
            "Александр",
            "Михаил",
            "Сергей",
            "Владимир",
            "Дмитрий",
            "Константин",
            "Василий",
            "Борис",
            "Георгий",
            "Аркадий",
        ),
        "first_f": (
            "Анна",
            "Мария",
            "Елена",
            "Ольга",
            "Вера",
            "Софья",
            "Татьяна",
            "Нина",
            "Лидия",
            "Зинаида",
            "Евгения",
            "Надежда",
        ),
        "patr_m": (
            "Петрович",
            "Иванович",
            "Сергеевич",
            "Николаевич",
            "Алексеевич",
            "Васильевич",
            "Андреевич",
            "Фёдорович",
            "Михайлович",
            "Григорьевич",
        ),
        "patr_f": (
            "Петровна",
            "Ивановна",
            "Сергеевна",
            "Николаевна",
            "Алексеевна",
            "Васильевна",
            "Андреевна",
            "Фёдоровна",
            "Михайловна",
            "Григорьевна",
        ),
        "last": (
            "Воронцов",
            "Белозёров",
            "Каменев",
            "Громов",
            "Лесков",
            "Соколов",
            "Ростовцев",
            "Ермолов",
            "Тихонов",
            "Звягинцев",
            "Крылов",
            "Одинцов",
            "Селиванов",
            "Бобров",
            "Ларионов",
            "Мещеряков",
        ),
        "field": (
            "физик",
            "химик",
            "математик",
            "геолог",
            "астроном",
            "биолог",
            "инженер",
            "метеоролог",
        ),
        "topic": (
            "кристаллографии",
            "теории упругости",
            "прогноза погоды",
            "гидробиологии",
            "радиоастрономии",
            "почвоведения",
            "теории вероятностей",
            "гидродинамики",
            "генетики растений",
            "геологического картирования",
        ),
        "univ": (
            "Московский университет",
            "Казанский университет",
            "Томский университет",
            "Ленинградский политехнический институт",
            "Харьковский университет",
            "Горный институт",
        ),
        "family": ("камышовковых", "славковых", "пеночковых", "сверчковых", "трясогузковых"),
        "range": (
            "Европе и Западной Сибири",
            "Восточной Европе",
            "Европе и Средней Азии",
            "Средиземноморье и Малой Азии",
            "Сибири и на Дальнем Востоке",
        ),
        "bird_a": (
            "Болотная",
            "Тростниковая",
            "Садовая",
            "Речная",
            "Луговая",
            "Северная",
            "Малая",
            "Пёстрая",
            "Серая",
            "Желтоголовая",
        ),
        "bird_b": ("камышовка", "пеночка", "славка", "трясогузка", "овсянка", "мухоловка"),
        "lake_a": (
            "Чёрное",
            "Долгое",
            "Глубокое",
            "Белое",
            "Светлое",
            "Лебяжье",
            "Святое",
            "Круглое",
            "Тихое",
            "Лесное",
            "Каменное",
            "Щучье",
        ),
    },
}


# Encyclopedic articles (wiki): per language and entity kind, an intro (one phrasing is chosen) and
# facts, each fact a tuple of alternative phrasings; an article keeps the facts in bank order.
# Article-level slots: {E} (entity name), {g:masc|fem} (the subject's grammatical gender for persons),
# plus the kind's own slots, filled by corpus._wiki_slots.
WIKI: dict[str, dict[str, tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]] = {
    "en": {
        "town": (
            (
                "{E} is a market town in {region}, England, on the River {river}.",
                "{E} is a town and civil parish in {region}, England, lying on the banks of the River {river}.",
            ),
            (
                (
                    "At the {census} census the town had a population of {pop}.",
                    "According to the {census} census, {E} had {pop} inhabitants.",
                ),
                (
                    "The settlement is recorded in the Domesday Book of 1086 as a small farming village.",
                    "The name of the town is first recorded in a charter of {old_year}, when it belonged to a nearby abbey.",
                ),
                (
                    "It received a royal charter to hold a weekly market in {old_year}.",
                    "A weekly market has been held in the town since {old_year}, when the lord of the manor obtained a charter.",
                ),
                (
                    "In the eighteenth century the town grew as a centre of the wool and cloth trade.",
                    "During the eighteenth century brewing and leather tanning became the main local industries.",
                ),
                (
                    "The railway reached {E} in {rail_year}, and the station is still served by trains to {city}.",
                    "The town's railway station opened in {rail_year} on the line between {city} and the coast.",
                ),
                (
                    "The parish church of St {saint} dates mainly from the fifteenth century and is a Grade I listed building.",
                    "Its most notable building is the church of St {saint}, whose tower was completed around {old_year}.",
                ),
                (
                    "Today the local economy depends on light industry, retail and tourism.",
                    "Most residents now work in services, and many commute to {city}.",
                ),
                (
                    "The town has two primary schools, a secondary school and a small public library.",
                    "Education is provided by several primary schools and {E} Academy, a secondary school with about {school} pupils.",
                ),
                (
                    "A music festival is held in the town park every summer.",
                    "An annual agricultural show takes place on the first weekend of {month_name}.",
                ),
                (
                    "{E} is twinned with a town in Normandy.",
                    "The town has been twinned with a German town since {twin_year}.",
                ),
            ),
        ),
        "river": (
            (
                "The {E} is a river in {region}, England, about {len} kilometres long.",
                "The River {E} is a {len}-kilometre river in {region}, England, and a tributary of the {river}.",
            ),
            (
                (
                    "It rises on moorland at an elevation of about {elev} metres.",
                    "Its source is a group of springs on high ground at about {elev} metres above sea level.",
                ),
                (
                    "The river flows generally eastwards through farmland and several villages before joining the {river}.",
                    "From its source the river runs south-east through a wooded valley and joins the {river} near {town}.",
                ),
                (
                    "Its drainage basin covers about {basin} square kilometres.",
                    "The catchment area of the river is approximately {basin} square kilometres.",
                ),
                (
                    "The main tributaries are the {trib} Brook and the {trib2} Water.",
                    "Several small streams join it, the largest being the {trib} Brook.",
                ),
                (
                    "In the nineteenth century the river powered more than a dozen water mills.",
                    "Historically the river supplied water to mills, tanneries and a paper works.",
                ),
                (
                    "Flooding is common in winter, and flood defences were built in {town} after the floods of {flood_year}.",
                    "After severe floods in {flood_year}, the Environment Agency built new embankments along its lower course.",
                ),
                (
                    "The river supports brown trout, grayling and a small population of otters.",
                    "Otters returned to the river in the {decade}s after water quality improved.",
                ),
                (
                    "A long-distance footpath follows much of the valley.",
                    "Much of the river can be followed on public footpaths, and the valley is popular with walkers.",
                ),
                (
                    "The name is thought to derive from a Celtic word meaning clear or bright water.",
                    "The origin of the name is uncertain, but it may come from an old word for a winding stream.",
                ),
            ),
        ),
        "scientist": (
            (
                "{E} ({birth}–{death}) was a British {field} known for {g:his|her} work on {topic}.",
                "{E} (born {birth}, died {death}) was an English {field} who made important contributions to {topic}.",
            ),
            (
                (
                    "{g:He|She} was born in {city}, the {g:son|daughter} of a schoolteacher.",
                    "Born in {city}, {g:he|she} showed an early interest in mathematics and natural history.",
                ),
                (
                    "{g:He|She} studied at the University of {univ}, graduating in {grad_year}.",
                    "After school {g:he|she} won a scholarship to the University of {univ}, where {g:he|she} took a first-class degree.",
                ),
                (
                    "{g:His|Her} doctoral thesis, completed in {phd_year}, dealt with {topic}.",
                    "In {phd_year} {g:he|she} received a doctorate for a thesis on {topic}.",
                ),
                (
                    "From {job_year} {g:he|she} worked at the National Physical Laboratory.",
                    "In {job_year} {g:he|she} was appointed lecturer and later professor at {univ}.",
                ),
                (
                    "{g:His|Her} best-known paper, published in {paper_year}, introduced a method that is still taught today.",
                    "In {paper_year} {g:he|she} published a short paper that became one of the most cited in the field.",
                ),
                (
                    "{g:He|She} was elected a Fellow of the Royal Society in {frs_year}.",
                    "Among {g:his|her} honours were the Royal Medal and election to the Royal Society in {frs_year}.",
                ),
                (
                    "{g:He|She} supervised more than {students} doctoral students, several of whom became professors.",
                    "Many of {g:his|her} {students} doctoral students went on to academic careers of their own.",
                ),
                (
                    "{g:He|She} died in {city2} at the age of {age}.",
                    "{g:He|She} spent {g:his|her} last years in {city2}, where {g:he|she} died aged {age}.",
                ),
                (
                    "A lecture theatre at the university is named after {g:him|her}.",
                    "An annual prize for young researchers is awarded in {g:his|her} name.",
                ),
            ),
        ),
        "composer": (
            (
                "{E} ({birth}–{death}) was an English composer and organist.",
                "{E} ({birth}–{death}) was an English composer, best known for {g:his|her} choral and chamber music.",
            ),
            (
                (
                    "{g:He|She} was born in {city} and received {g:his|her} first music lessons from a local church organist.",
                    "Born in {city}, {g:he|she} sang in the cathedral choir as a child.",
                ),
                (
                    "{g:He|She} studied at the Royal College of Music in London.",
                    "In {grad_year} {g:he|she} entered the Royal Academy of Music, where {g:he|she} studied composition and the piano.",
                ),
                (
                    "{g:His|Her} first symphony was performed in {premiere_year} and was well received by critics.",
                    "The premiere of {g:his|her} first symphony in {premiere_year} established {g:his|her} reputation.",
                ),
                (
                    "{g:He|She} wrote more than {works} works, including songs, string quartets and music for the stage.",
                    "{g:His|Her} output of about {works} works includes two symphonies, a violin concerto and many anthems.",
                ),
                (
                    "For many years {g:he|she} was organist of a parish church in {city2}.",
                    "From {job_year} {g:he|she} served as organist and choirmaster in {city2}.",
                ),
                (
                    "{g:His|Her} music draws on English folk song and the tradition of church music.",
                    "Critics have noted the influence of folk melodies and early English church music on {g:his|her} style.",
                ),
                (
                    "Much of {g:his|her} work was forgotten after {g:his|her} death and revived only in the {decade}s.",
                    "Interest in {g:his|her} music grew again in the {decade}s, when several recordings were released.",
                ),
                (
                    "{g:He|She} died in {city2} at the age of {age}.",
                    "{g:He|She} died aged {age} and is buried in the churchyard where {g:he|she} had played for decades.",
                ),
            ),
        ),
        "lake": (
            (
                "{E} is a lake in {region}, England, with an area of about {area} square kilometres.",
                "{E} is a freshwater lake in the north of {region}, England, covering roughly {area} square kilometres.",
            ),
            (
                (
                    "It was formed at the end of the last ice age, when a glacier retreated from the valley.",
                    "The lake occupies a basin carved by glacial ice and dammed by a moraine.",
                ),
                (
                    "Its maximum depth is about {depth} metres.",
                    "The lake is up to {depth} metres deep at its northern end.",
                ),
                (
                    "It is fed by several streams and drained by the River {river}.",
                    "The main inflow comes from the surrounding fells, and the outflow forms the River {river}.",
                ),
                (
                    "The lake is home to perch, pike and a rare population of Arctic char.",
                    "Its fish include perch, pike, eels and a small number of Arctic char.",
                ),
                (
                    "Since {protect_year} the lake and its shores have been a nature reserve.",
                    "The shoreline has been protected as a Site of Special Scientific Interest since {protect_year}.",
                ),
                (
                    "In summer the lake is used for sailing, rowing and swimming.",
                    "Boats can be hired in the village at its southern end, and a path runs around the whole shore.",
                ),
                (
                    "A steamer has carried passengers across the lake since the {decade}s.",
                    "Regular boat services have operated on the lake since the {decade}s.",
                ),
            ),
        ),
        "species": (
            (
                "The {E} is a small bird of the family {family}, found in {range_en}.",
                "The {E} is a species of songbird in the family {family}, native to {range_en}.",
            ),
            (
                (
                    "Adults are about {cm} centimetres long and weigh around {grams} grams.",
                    "It is a small bird, {cm} centimetres in length, with a weight of {grams} grams.",
                ),
                (
                    "The upperparts are olive brown and the underparts pale buff, with a faint stripe above the eye.",
                    "Both sexes look alike, with brown upperparts, a pale throat and a short, rounded tail.",
                ),
                (
                    "It breeds in reed beds, wet meadows and the edges of lakes.",
                    "Its preferred habitat is dense vegetation near water, especially reeds and willow scrub.",
                ),
                (
                    "The species is migratory and spends the winter in Africa south of the Sahara.",
                    "Most birds leave their breeding grounds in August and winter in tropical Africa.",
                ),
                (
                    "The female lays {eggs} eggs in a cup-shaped nest woven around plant stems.",
                    "The nest is built low in the vegetation, and a clutch usually contains {eggs} eggs.",
                ),
                (
                    "Its song is a long, varied warble that often includes imitations of other birds.",
                    "The male sings from a high perch, mostly at dawn and late in the evening.",
                ),
                (
                    "It feeds mainly on insects and spiders taken from leaves and stems.",
                    "The diet consists of small insects, larvae and spiders.",
                ),
                (
                    "The global population is large and the species is listed as of least concern.",
                    "Although numbers have declined locally because of drainage, the species is not considered threatened.",
                ),
            ),
        ),
    },
    "ru": {
        "town": (
            (
                "{E} — город в {region_prep}, административный центр {E_district} района.",
                "{E} — малый город в {region_prep} России, расположенный на реке {river_ru}.",
            ),
            (
                (
                    "Население по данным переписи {census} года составляло {pop_ru}.",
                    "По переписи {census} года в городе проживало {pop_ru}.",
                ),
                (
                    "Впервые селение упоминается в писцовых книгах {old_year} года.",
                    "Первое письменное упоминание о поселении относится к {old_year} году.",
                ),
                (
                    "Статус города получен в {city_year} году.",
                    "В {city_year} году село было преобразовано в город.",
                ),
                (
                    "В XIX веке здесь действовали кожевенные и полотняные мануфактуры.",
                    "В XIX веке город был известен ярмарками и торговлей льном.",
                ),
                (
                    "В {rail_year} году через город прошла железная дорога, что ускорило его развитие.",
                    "Железнодорожная станция была открыта в {rail_year} году на линии, ведущей в {city_acc}.",
                ),
                (
                    "Главная достопримечательность — {cathedral} собор, построенный в XVIII веке.",
                    "В центре города сохранился ансамбль торговых рядов и {cathedral} собор.",
                ),
                (
                    "Основу экономики составляют деревообработка, пищевая промышленность и сельское хозяйство.",
                    "Крупнейшие предприятия города — молочный комбинат и деревообрабатывающий завод.",
                ),
                (
                    "В городе работают краеведческий музей, дом культуры и центральная библиотека.",
                    "Краеведческий музей, основанный в {museum_year} году, хранит коллекцию предметов крестьянского быта.",
                ),
                (
                    "Климат умеренно континентальный, с холодной зимой и тёплым летом.",
                    "Средняя температура января около минус десяти градусов, июля — около плюс восемнадцати.",
                ),
                (
                    "Ежегодно в городе проходит праздник, посвящённый дню его основания.",
                    "Каждое лето на центральной площади проводится фестиваль народных ремёсел.",
                ),
            ),
        ),
        "river": (
            (
                "{E} — река в {region_prep}, левый приток реки {river_ru}.",
                "{E} — река в России, протекает по территории {region_gen}, правый приток реки {river_ru}.",
            ),
            (
                (
                    "Длина реки составляет {len_ru}, площадь водосборного бассейна — {basin_ru}.",
                    "Длина реки — {len_ru}, площадь бассейна — {basin_ru}.",
                ),
                (
                    "Река берёт начало из болота на высоте около {elev} метров над уровнем моря.",
                    "Исток находится в лесном массиве на водоразделе, на высоте около {elev} метров.",
                ),
                (
                    "В верхнем течении река узкая и извилистая, в нижнем течёт в широкой пойменной долине.",
                    "Русло реки извилистое, берега в основном покрыты смешанным лесом.",
                ),
                (
                    "Питание преимущественно снеговое, половодье приходится на апрель и май.",
                    "Основную роль в питании реки играют талые снеговые воды.",
                ),
                (
                    "Замерзает в ноябре, вскрывается в апреле.",
                    "Ледостав обычно начинается в конце ноября и продолжается до середины апреля.",
                ),
                (
                    "Крупнейшие притоки — {trib_ru} и {trib2_ru}.",
                    "Основной приток — река {trib_ru}.",
                ),
                (
                    "В реке водятся щука, окунь, плотва, язь и налим.",
                    "Ихтиофауна реки включает щуку, окуня, леща и налима.",
                ),
                (
                    "На берегах реки расположены несколько деревень и город {town_ru}.",
                    "В нижнем течении на реке стоит город {town_ru}.",
                ),
                (
                    "Река популярна среди любителей водного туризма.",
                    "Летом по реке проходят байдарочные маршруты разной сложности.",
                ),
            ),
        ),
        "scientist": (
            (
                "{E} ({birth}—{death}) — {g:русский|русская} {field_ru}, {g:известный|известная} работами в области {topic_ru}.",
                "{E} ({birth}—{death}) — {g:советский|советская} {field_ru}, доктор наук, профессор.",
            ),
            (
                (
                    "{g:Родился|Родилась} в {city_prep} в семье учителя.",
                    "{g:Родился|Родилась} в {city_prep}, в детстве {g:увлекался|увлекалась} математикой и естествознанием.",
                ),
                (
                    "В {grad_year} году {g:окончил|окончила} {univ_ru}.",
                    "{g:Окончил|Окончила} {univ_ru} в {grad_year} году.",
                ),
                (
                    "В {phd_year} году {g:защитил|защитила} кандидатскую диссертацию, посвящённую вопросам {topic_ru}.",
                    "Кандидатская диссертация, {g:защищённая им|защищённая ею} в {phd_year} году, была посвящена проблемам {topic_ru}.",
                ),
                (
                    "С {job_year} года {g:работал|работала} в научно-исследовательском институте, позднее {g:возглавил|возглавила} лабораторию.",
                    "С {job_year} года {g:преподавал|преподавала} в университете, где {g:руководил|руководила} кафедрой.",
                ),
                (
                    "Автор более {papers} научных работ и нескольких монографий.",
                    "{g:Его|Её} перу принадлежат более {papers} научных статей и учебник, выдержавший несколько изданий.",
                ),
                (
                    "В {prize_year} году {g:был удостоен|была удостоена} Государственной премии.",
                    "{g:Был награждён|Была награждена} орденом Трудового Красного Знамени.",
                ),
                (
                    "Под {g:его|её} руководством защищено более {students} диссертаций.",
                    "{g:Подготовил|Подготовила} многочисленных учеников, многие из которых стали докторами наук.",
                ),
                (
                    "{g:Скончался|Скончалась} в {city2_prep} в возрасте {age_ru}.",
                    "Последние годы жизни {g:провёл|провела} в {city2_prep}, где и {g:умер|умерла}.",
                ),
                (
                    "{g:Его|Её} именем названа улица в родном городе.",
                    "В университете учреждена именная стипендия в {g:его|её} честь.",
                ),
            ),
        ),
        "composer": (
            (
                "{E} ({birth}—{death}) — {g:русский|русская} композитор, пианист и педагог.",
                "{E} ({birth}—{death}) — {g:советский|советская} композитор, автор симфонической и хоровой музыки.",
            ),
            (
                (
                    "{g:Родился|Родилась} в {city_prep}, первые уроки музыки {g:получил|получила} от матери.",
                    "{g:Родился|Родилась} в {city_prep} в семье, где любили музыку, и с шести лет {g:учился|училась} играть на фортепиано.",
                ),
                (
                    "В {grad_year} году {g:окончил|окончила} консерваторию по классу композиции.",
                    "{g:Учился|Училась} в консерватории, которую {g:окончил|окончила} в {grad_year} году.",
                ),
                (
                    "Первая симфония, исполненная в {premiere_year} году, принесла {g:ему|ей} известность.",
                    "Известность {g:ему|ей} принесла первая симфония, впервые прозвучавшая в {premiere_year} году.",
                ),
                (
                    "Автор более {works} сочинений, среди которых оперы, романсы и камерная музыка.",
                    "Наследие композитора включает около {works} сочинений: симфонии, концерты, романсы и музыку к спектаклям.",
                ),
                (
                    "Много лет {g:преподавал|преподавала} в музыкальном училище в {city2_prep}.",
                    "С {job_year} года {g:вёл|вела} класс композиции в консерватории.",
                ),
                (
                    "В {g:его|её} музыке заметно влияние народной песни и церковного пения.",
                    "Критики отмечали связь {g:его|её} стиля с традициями русской народной песни.",
                ),
                (
                    "После смерти композитора многие {g:его|её} произведения были забыты и вновь зазвучали лишь в {decade}-е годы.",
                    "Интерес к {g:его|её} творчеству возродился в {decade}-е годы, когда вышли новые записи.",
                ),
                (
                    "{g:Скончался|Скончалась} в {city2_prep} в возрасте {age_ru}.",
                    "{g:Похоронен|Похоронена} на городском кладбище в {city2_prep}.",
                ),
            ),
        ),
        "lake": (
            (
                "{E} — озеро в {region_prep}, площадью около {area_ru}.",
                "{E} — пресноводное озеро на севере {region_gen}, площадь зеркала — {area_ru}.",
            ),
            (
                (
                    "Озеро ледникового происхождения, образовалось после отступления последнего ледника.",
                    "Котловина озера образовалась в результате деятельности ледника.",
                ),
                (
                    "Наибольшая глубина достигает {depth} метров.",
                    "Максимальная глубина — {depth} метров, средняя — около трёх метров.",
                ),
                (
                    "В озеро впадает несколько ручьёв, вытекает река {river_ru}.",
                    "Сток из озера осуществляется через реку {river_ru}.",
                ),
                (
                    "В озере обитают щука, окунь, лещ, плотва и ёрш.",
                    "Ихтиофауна озера представлена щукой, окунем, лещом и карасём.",
                ),
                (
                    "С {protect_year} года озеро и прилегающие леса входят в состав заказника.",
                    "Побережье озера с {protect_year} года является памятником природы регионального значения.",
                ),
                (
                    "Летом озеро пользуется популярностью у туристов и рыболовов.",
                    "На берегах озера расположены базы отдыха и детский лагерь.",
                ),
                (
                    "Берега низкие, местами заболоченные, поросшие сосновым лесом.",
                    "Северный берег высокий и песчаный, южный — низкий и заболоченный.",
                ),
            ),
        ),
        "species": (
            (
                "{E} — небольшая птица семейства {family_ru}, распространённая в {range_ru}.",
                "{E} — вид певчих птиц из семейства {family_ru}, обитающий в {range_ru}.",
            ),
            (
                (
                    "Длина тела около {cm} сантиметров, масса — {grams} граммов.",
                    "Птица небольшая: длина тела {cm} сантиметров, масса около {grams} граммов.",
                ),
                (
                    "Верх тела оливково-бурый, низ светлый, над глазом заметна бледная бровь.",
                    "Самцы и самки окрашены одинаково: спина бурая, горло светлое, хвост короткий и закруглённый.",
                ),
                (
                    "Гнездится в зарослях тростника, на влажных лугах и по берегам озёр.",
                    "Предпочитает густую растительность у воды, особенно тростник и ивняк.",
                ),
                (
                    "Перелётная птица, зимует в Африке южнее Сахары.",
                    "С мест гнездования птицы улетают в августе и зимуют в тропической Африке.",
                ),
                (
                    "В кладке обычно {eggs} яйца, гнездо чашевидное, подвешено к стеблям растений.",
                    "Гнездо строится низко в траве, в кладке обычно {eggs} яйца.",
                ),
                (
                    "Песня — длинная разнообразная трель, часто включающая подражания голосам других птиц.",
                    "Самец поёт с высокой присады, чаще всего на рассвете и поздно вечером.",
                ),
                (
                    "Питается преимущественно насекомыми и пауками.",
                    "Основу питания составляют мелкие насекомые, их личинки и пауки.",
                ),
                (
                    "Численность вида велика, он не считается находящимся под угрозой.",
                    "Хотя местами численность сокращается из-за осушения болот, вид не считается угрожаемым.",
                ),
            ),
        ),
    },
}


# LaTeX paper fragments (arxiv), per topic. Slots use ⟦...⟧: ⟦k⟧ and ⟦m⟧ small integers, ⟦G⟧ a
# symbol, ⟦v:a|b⟧ a choice remembered for the whole document under the name v.
ARXIV_TOPICS: dict[str, dict[str, tuple[str, ...]]] = {
    "graph_theory": {
        "titles": (
            "Colourings of sparse graphs",
            "Preliminaries on graph minors",
            "Spectral bounds for regular graphs",
            "Extremal results for cycles",
        ),
        "intro": (
            "Let $⟦G:G|H|\\Gamma⟧$ be a finite simple graph with vertex set $V(⟦G⟧)$ and edge set $E(⟦G⟧)$.",
            "Throughout this section all graphs are finite, undirected and without loops.",
            "We write $\\Delta(⟦G⟧)$ for the maximum degree and $\\chi(⟦G⟧)$ for the chromatic number of $⟦G⟧$.",
            "The study of colourings of graphs with bounded maximum degree goes back to Brooks.",
            "Our approach combines a discharging argument with the probabilistic method.",
            "A graph is called $⟦k⟧$-degenerate if every subgraph has a vertex of degree at most $⟦k⟧$.",
            "In this section we collect several standard facts about minors that will be used repeatedly.",
        ),
        "defs": (
            "\\begin{definition}\nA \\emph{proper $⟦k⟧$-colouring} of $⟦G⟧$ is a map $c\\colon V(⟦G⟧)\\to\\{1,\\dots,⟦k⟧\\}$ such that $c(u)\\neq c(v)$ whenever $uv\\in E(⟦G⟧)$.\n\\end{definition}",
            "\\begin{definition}\nThe \\emph{girth} of $⟦G⟧$ is the length of a shortest cycle in $⟦G⟧$; if $⟦G⟧$ is a forest we set the girth to be $\\infty$.\n\\end{definition}",
            "\\begin{definition}\nA graph $H$ is a \\emph{minor} of $⟦G⟧$ if $H$ can be obtained from a subgraph of $⟦G⟧$ by contracting edges.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}\\label{thm:main}\nEvery planar graph of girth at least $⟦m⟧$ is $⟦k⟧$-colourable.\n\\end{theorem}",
            "\\begin{lemma}\\label{lem:degenerate}\nIf $⟦G⟧$ is $d$-degenerate, then $\\chi(⟦G⟧)\\le d+1$.\n\\end{lemma}",
            "\\begin{proposition}\nLet $⟦G⟧$ be a connected $d$-regular graph on $n$ vertices. Then the second largest eigenvalue of its adjacency matrix satisfies $\\lambda_2 \\ge 2\\sqrt{d-1} - o(1)$ as $n\\to\\infty$.\n\\end{proposition}",
            "\\begin{theorem}\nIf $⟦G⟧$ has $n$ vertices and contains no cycle of length $⟦m⟧$, then $|E(⟦G⟧)| \\le c_{⟦m⟧}\\, n^{1+1/⟦k⟧}$.\n\\end{theorem}",
        ),
        "proofs": (
            "\\begin{proof}\nWe argue by induction on $|V(⟦G⟧)|$. Since $⟦G⟧$ is $d$-degenerate, it has a vertex $v$ of degree at most $d$. By induction, $⟦G⟧-v$ has a proper colouring with $d+1$ colours, and at least one colour is not used on the neighbours of $v$.\n\\end{proof}",
            "\\begin{proof}\nSuppose for a contradiction that $⟦G⟧$ is a minimal counterexample. Then $⟦G⟧$ has minimum degree at least $⟦k⟧$, and by Euler's formula the average degree of $⟦G⟧$ is less than $\\frac{2⟦m⟧}{⟦m⟧-2}$, which is impossible.\n\\end{proof}",
            "\\begin{proof}\nAssign to each vertex $v$ the charge $\\deg(v)-4$ and to each face $f$ the charge $\\deg(f)-4$. By Euler's formula the total charge is $-8$. We redistribute the charge by the rules below and show that every element ends with non-negative charge, a contradiction.\n\\end{proof}",
        ),
        "eqs": (
            "By Euler's formula we have\n\\begin{equation}\\label{eq:euler}\n\\sum_{v\\in V}(\\deg(v)-4) + \\sum_{f\\in F}(\\deg(f)-4) = -8.\n\\end{equation}",
            "Counting edges in two ways gives\n\\begin{equation}\n2|E(⟦G⟧)| = \\sum_{v\\in V(⟦G⟧)} \\deg(v) \\le \\Delta(⟦G⟧)\\,|V(⟦G⟧)|.\n\\end{equation}",
            "The number of proper colourings is the chromatic polynomial\n\\[\nP(⟦G⟧,⟦k⟧) = \\sum_{S\\subseteq E(⟦G⟧)} (-1)^{|S|} ⟦k⟧^{c(S)},\n\\]\nwhere $c(S)$ denotes the number of connected components of $(V(⟦G⟧),S)$.",
        ),
        "remarks": (
            "\\begin{remark}\nThe bound in Theorem~\\ref{thm:main} is sharp, as the example of the complete graph $K_{⟦k⟧+1}$ shows.\n\\end{remark}",
            "\\begin{remark}\nThe assumption on the girth cannot be dropped entirely; see Section~⟦k⟧ for a construction.\n\\end{remark}",
        ),
    },
    "probability": {
        "titles": (
            "Concentration inequalities",
            "Martingales and stopping times",
            "Random walks on the integers",
            "Limit theorems",
        ),
        "intro": (
            "Let $(\\Omega,\\mathcal{F},\\mathbb{P})$ be a probability space and let $X_1,X_2,\\dots$ be independent random variables.",
            "We denote by $S_n = X_1+\\dots+X_n$ the partial sums and by $\\mathbb{E}$ the expectation with respect to $\\mathbb{P}$.",
            "Concentration of measure is one of the central tools in modern probability.",
            "In this section we recall the basic properties of martingales that will be needed later.",
            "We say that an event holds \\emph{with high probability} if its probability tends to one as $n\\to\\infty$.",
            "All random variables in this section are assumed to be bounded, which simplifies the exposition considerably.",
        ),
        "defs": (
            "\\begin{definition}\nA sequence $(M_n)_{n\\ge 0}$ of integrable random variables adapted to a filtration $(\\mathcal{F}_n)$ is a \\emph{martingale} if $\\mathbb{E}[M_{n+1}\\mid\\mathcal{F}_n] = M_n$ for all $n$.\n\\end{definition}",
            "\\begin{definition}\nA random variable $\\tau$ with values in $\\{0,1,2,\\dots\\}\\cup\\{\\infty\\}$ is a \\emph{stopping time} if $\\{\\tau\\le n\\}\\in\\mathcal{F}_n$ for every $n$.\n\\end{definition}",
            "\\begin{definition}\nA random variable $X$ is \\emph{sub-Gaussian} with parameter $\\sigma$ if $\\mathbb{E}e^{\\lambda X}\\le e^{\\lambda^2\\sigma^2/2}$ for all $\\lambda\\in\\mathbb{R}$.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}[Hoeffding]\nIf $a_i\\le X_i\\le b_i$ almost surely, then for every $t>0$\n\\[\n\\mathbb{P}(|S_n-\\mathbb{E}S_n|\\ge t)\\le 2\\exp\\Big(-\\frac{2t^2}{\\sum_{i=1}^n (b_i-a_i)^2}\\Big).\n\\]\n\\end{theorem}",
            "\\begin{lemma}\\label{lem:optional}\nLet $(M_n)$ be a martingale and $\\tau$ a bounded stopping time. Then $\\mathbb{E}M_\\tau = \\mathbb{E}M_0$.\n\\end{lemma}",
            "\\begin{theorem}\nThe simple symmetric random walk on $\\mathbb{Z}^d$ is recurrent for $d\\le 2$ and transient for $d\\ge 3$.\n\\end{theorem}",
            "\\begin{proposition}\nIf $\\mathbb{E}X_1=0$ and $\\mathbb{E}X_1^2=1$, then $S_n/\\sqrt{n}$ converges in distribution to a standard normal random variable.\n\\end{proposition}",
        ),
        "proofs": (
            "\\begin{proof}\nBy Markov's inequality, for every $\\lambda>0$ we have $\\mathbb{P}(S_n-\\mathbb{E}S_n\\ge t)\\le e^{-\\lambda t}\\,\\mathbb{E}e^{\\lambda(S_n-\\mathbb{E}S_n)}$. Using independence and Hoeffding's lemma for each factor, and optimising over $\\lambda$, we obtain the claim.\n\\end{proof}",
            "\\begin{proof}\nSince $\\tau\\le N$ for some constant $N$, we can write $M_\\tau = M_0 + \\sum_{k=1}^{N}(M_k-M_{k-1})\\mathbf{1}_{\\{\\tau\\ge k\\}}$. The event $\\{\\tau\\ge k\\}$ belongs to $\\mathcal{F}_{k-1}$, so each term has zero expectation.\n\\end{proof}",
            "\\begin{proof}\nThe walk is recurrent if and only if the expected number of returns to the origin is infinite. The probability of being at the origin at time $2n$ is of order $n^{-d/2}$, and the series $\\sum_n n^{-d/2}$ diverges exactly when $d\\le 2$.\n\\end{proof}",
        ),
        "eqs": (
            "Taking expectations in the recursion, we find\n\\begin{equation}\n\\mathbb{E}[S_{n+1}^2] = \\mathbb{E}[S_n^2] + ⟦k⟧\\,\\mathbb{E}[X_{n+1}^2],\n\\end{equation}\nand hence $\\mathbb{E}[S_n^2]$ grows linearly in $n$.",
            "The moment generating function satisfies\n\\[\n\\log\\mathbb{E}e^{\\lambda X}\\le \\frac{\\lambda^2 (b-a)^2}{8} \\quad\\text{for all }\\lambda\\in\\mathbb{R}.\n\\]",
            "By Chebyshev's inequality,\n\\begin{equation}\\label{eq:cheb}\n\\mathbb{P}\\big(|S_n - n\\mu| \\ge ⟦k⟧\\sqrt{n}\\,\\sigma\\big) \\le \\frac{1}{⟦k⟧^2}.\n\\end{equation}",
        ),
        "remarks": (
            "\\begin{remark}\nThe constant $2$ in the exponent cannot be improved in general, as the example of Rademacher variables shows.\n\\end{remark}",
            "\\begin{remark}\nThe boundedness assumption in Lemma~\\ref{lem:optional} can be replaced by uniform integrability of the stopped process.\n\\end{remark}",
        ),
    },
    "functional_analysis": {
        "titles": (
            "Bounded operators on Hilbert spaces",
            "Compactness and the spectral theorem",
            "Sobolev spaces",
            "Weak topologies",
        ),
        "intro": (
            "Let $⟦H:H|\\mathcal{H}⟧$ be a separable complex Hilbert space with inner product $\\langle\\cdot,\\cdot\\rangle$.",
            "We denote by $\\mathcal{B}(⟦H⟧)$ the algebra of bounded linear operators on $⟦H⟧$ with the operator norm.",
            "Compact operators behave in many respects like matrices, which is the starting point of Fredholm theory.",
            "Throughout, $\\Omega\\subset\\mathbb{R}^{⟦k⟧}$ denotes a bounded domain with Lipschitz boundary.",
            "The following facts are classical and can be found in any textbook on functional analysis.",
            "In this section we study the spectrum of a self-adjoint operator with compact resolvent.",
        ),
        "defs": (
            "\\begin{definition}\nAn operator $T\\in\\mathcal{B}(⟦H⟧)$ is \\emph{compact} if the image of the unit ball under $T$ is relatively compact in $⟦H⟧$.\n\\end{definition}",
            "\\begin{definition}\nFor $p\\in[1,\\infty)$ the Sobolev space $W^{1,p}(\\Omega)$ consists of all $u\\in L^p(\\Omega)$ whose weak gradient $\\nabla u$ also belongs to $L^p(\\Omega)$.\n\\end{definition}",
            "\\begin{definition}\nThe \\emph{spectrum} $\\sigma(T)$ of $T\\in\\mathcal{B}(⟦H⟧)$ is the set of $\\lambda\\in\\mathbb{C}$ for which $T-\\lambda I$ is not invertible.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}\nLet $T$ be a compact self-adjoint operator on $⟦H⟧$. Then $⟦H⟧$ has an orthonormal basis consisting of eigenvectors of $T$, and the eigenvalues accumulate only at $0$.\n\\end{theorem}",
            "\\begin{lemma}\\label{lem:poincare}\nThere is a constant $C$ depending only on $\\Omega$ such that $\\|u\\|_{L^2}\\le C\\|\\nabla u\\|_{L^2}$ for all $u\\in W^{1,2}_0(\\Omega)$.\n\\end{lemma}",
            "\\begin{theorem}[Banach--Alaoglu]\nThe closed unit ball of the dual of a normed space is compact in the weak-* topology.\n\\end{theorem}",
            "\\begin{proposition}\nThe spectrum of a bounded operator is a non-empty compact subset of $\\mathbb{C}$ contained in the disc of radius $\\|T\\|$.\n\\end{proposition}",
        ),
        "proofs": (
            "\\begin{proof}\nSince $T$ is self-adjoint, either $\\|T\\|$ or $-\\|T\\|$ is an eigenvalue. Let $e_1$ be a corresponding unit eigenvector and restrict $T$ to the orthogonal complement of $e_1$, which is invariant. Iterating this argument yields the required basis.\n\\end{proof}",
            "\\begin{proof}\nSuppose the inequality fails. Then there is a sequence $u_j$ with $\\|u_j\\|_{L^2}=1$ and $\\|\\nabla u_j\\|_{L^2}\\to 0$. By the Rellich--Kondrachov theorem a subsequence converges in $L^2$ to a constant function, which must vanish because of the boundary condition, a contradiction.\n\\end{proof}",
            "\\begin{proof}\nIf $|\\lambda|>\\|T\\|$, the Neumann series $\\sum_{n\\ge 0}\\lambda^{-n-1}T^n$ converges and gives the inverse of $\\lambda I - T$. Closedness of the spectrum follows from the openness of the set of invertible operators.\n\\end{proof}",
        ),
        "eqs": (
            "For every $u\\in W^{1,2}_0(\\Omega)$ we have the estimate\n\\begin{equation}\\label{eq:energy}\n\\int_\\Omega |\\nabla u|^2\\,dx \\ge \\lambda_1 \\int_\\Omega |u|^2\\,dx,\n\\end{equation}\nwhere $\\lambda_1>0$ is the first Dirichlet eigenvalue of $\\Omega$.",
            "The resolvent identity reads\n\\[\nR(\\lambda)-R(\\mu) = (\\lambda-\\mu)R(\\lambda)R(\\mu),\\qquad R(\\lambda)=(T-\\lambda I)^{-1}.\n\\]",
            "The spectral radius is given by Gelfand's formula\n\\begin{equation}\nr(T) = \\lim_{n\\to\\infty}\\|T^n\\|^{1/n}.\n\\end{equation}",
        ),
        "remarks": (
            "\\begin{remark}\nIn infinite dimensions the spectrum of a compact operator always contains $0$, even if $0$ is not an eigenvalue.\n\\end{remark}",
            "\\begin{remark}\nThe Lipschitz assumption on $\\partial\\Omega$ is only used in the trace theorem and can be weakened.\n\\end{remark}",
        ),
    },
    "number_theory": {
        "titles": (
            "Primes in arithmetic progressions",
            "Quadratic residues",
            "Elementary estimates",
            "Sums of two squares",
        ),
        "intro": (
            "Throughout, $p$ denotes an odd prime and $\\left(\\frac{a}{p}\\right)$ the Legendre symbol.",
            "We write $\\pi(x)$ for the number of primes not exceeding $x$.",
            "Let $⟦q:q|m|N⟧\\ge 2$ be an integer and let $a$ be coprime to $⟦q⟧$.",
            "The results of this section are elementary, but they will be used repeatedly in what follows.",
            "The distribution of primes among residue classes is governed by the zeros of Dirichlet $L$-functions.",
            "We use Vinogradov's notation $f\\ll g$ to mean $|f|\\le Cg$ for some absolute constant $C$.",
        ),
        "defs": (
            "\\begin{definition}\nAn integer $a$ coprime to $p$ is a \\emph{quadratic residue} modulo $p$ if the congruence $x^2\\equiv a \\pmod p$ has a solution.\n\\end{definition}",
            "\\begin{definition}\nThe \\emph{von Mangoldt function} is defined by $\\Lambda(n)=\\log p$ if $n=p^k$ for some prime $p$ and $k\\ge 1$, and $\\Lambda(n)=0$ otherwise.\n\\end{definition}",
            "\\begin{definition}\nA \\emph{Dirichlet character} modulo $⟦q⟧$ is a homomorphism $\\chi\\colon(\\mathbb{Z}/⟦q⟧\\mathbb{Z})^\\times\\to\\mathbb{C}^\\times$, extended by zero to integers not coprime to $⟦q⟧$.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}[Euler's criterion]\nFor $a$ coprime to $p$ we have $\\left(\\frac{a}{p}\\right)\\equiv a^{(p-1)/2}\\pmod p$.\n\\end{theorem}",
            "\\begin{theorem}\nAn odd prime $p$ is a sum of two squares if and only if $p\\equiv 1\\pmod 4$.\n\\end{theorem}",
            "\\begin{lemma}\\label{lem:chebyshev}\nFor all $x\\ge 2$ we have $\\sum_{p\\le x}\\frac{\\log p}{p} = \\log x + O(1)$.\n\\end{lemma}",
            "\\begin{theorem}[Dirichlet]\nThere are infinitely many primes $p\\equiv a\\pmod{⟦q⟧}$ whenever $\\gcd(a,⟦q⟧)=1$.\n\\end{theorem}",
        ),
        "proofs": (
            "\\begin{proof}\nThe multiplicative group modulo $p$ is cyclic of order $p-1$. Hence $a$ is a square if and only if $a^{(p-1)/2}=1$, and otherwise $a^{(p-1)/2}=-1$ since its square equals $1$.\n\\end{proof}",
            "\\begin{proof}\nIf $p\\equiv 1\\pmod 4$, then $-1$ is a quadratic residue, so $p$ divides $x^2+1$ for some integer $x$. Applying Thue's lemma to $x$ we find integers $a,b$ with $0<a^2+b^2<2p$ and $p\\mid a^2+b^2$, hence $p=a^2+b^2$.\n\\end{proof}",
            "\\begin{proof}\nCompare the exponent of each prime in $n!$ with Legendre's formula and use Stirling's approximation $\\log n! = n\\log n - n + O(\\log n)$.\n\\end{proof}",
        ),
        "eqs": (
            "By orthogonality of characters,\n\\begin{equation}\\label{eq:orth}\n\\frac{1}{\\varphi(⟦q⟧)}\\sum_{\\chi \\bmod ⟦q⟧}\\overline{\\chi}(a)\\chi(n) = \\begin{cases}1 & n\\equiv a \\pmod{⟦q⟧},\\\\ 0 & \\text{otherwise.}\\end{cases}\n\\end{equation}",
            "The prime number theorem can be stated as\n\\[\n\\psi(x) = \\sum_{n\\le x}\\Lambda(n) = x + O\\big(x e^{-c\\sqrt{\\log x}}\\big).\n\\]",
            "Summing over $n\\le x$ we obtain\n\\begin{equation}\n\\sum_{n\\le x} d(n) = x\\log x + (2\\gamma-1)x + O(\\sqrt{x}).\n\\end{equation}",
        ),
        "remarks": (
            "\\begin{remark}\nThe error term in Lemma~\\ref{lem:chebyshev} is best possible up to the value of the constant.\n\\end{remark}",
            "\\begin{remark}\nFor $⟦q⟧=4$ the statement can be proved by an elementary argument in the spirit of Euclid.\n\\end{remark}",
        ),
    },
    "pde": {
        "titles": (
            "Energy estimates for the heat equation",
            "Weak solutions of elliptic equations",
            "The wave equation on bounded domains",
            "Maximum principles",
        ),
        "intro": (
            "Let $\\Omega\\subset\\mathbb{R}^{⟦k⟧}$ be a bounded domain with smooth boundary and let $T>0$.",
            "We consider the heat equation $\\partial_t u - \\Delta u = f$ in $\\Omega\\times(0,T)$ with homogeneous Dirichlet boundary conditions.",
            "Energy methods give a simple proof of uniqueness for a large class of evolution equations.",
            "The maximum principle is one of the most useful qualitative tools for second order elliptic equations.",
            "In this section we establish existence and uniqueness of weak solutions by the Lax--Milgram theorem.",
            "We assume throughout that the coefficients $a_{ij}$ are bounded, measurable and uniformly elliptic.",
        ),
        "defs": (
            "\\begin{definition}\nA function $u\\in H^1_0(\\Omega)$ is a \\emph{weak solution} of $-\\Delta u = f$ if $\\int_\\Omega \\nabla u\\cdot\\nabla\\varphi\\,dx = \\int_\\Omega f\\varphi\\,dx$ for all $\\varphi\\in H^1_0(\\Omega)$.\n\\end{definition}",
            "\\begin{definition}\nThe operator $Lu = -\\sum_{i,j}\\partial_i(a_{ij}\\partial_j u)$ is \\emph{uniformly elliptic} if there is $\\theta>0$ with $\\sum_{i,j}a_{ij}\\xi_i\\xi_j\\ge\\theta|\\xi|^2$ for all $\\xi\\in\\mathbb{R}^{⟦k⟧}$.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}\nFor every $f\\in L^2(\\Omega)$ there exists a unique weak solution $u\\in H^1_0(\\Omega)$ of $-\\Delta u = f$, and $\\|u\\|_{H^1}\\le C\\|f\\|_{L^2}$.\n\\end{theorem}",
            "\\begin{lemma}\\label{lem:energy}\nLet $u$ be a smooth solution of the heat equation with $f=0$. Then $t\\mapsto\\int_\\Omega u(x,t)^2\\,dx$ is non-increasing.\n\\end{lemma}",
            "\\begin{theorem}[weak maximum principle]\nIf $u\\in C^2(\\Omega)\\cap C(\\overline{\\Omega})$ satisfies $\\Delta u\\ge 0$ in $\\Omega$, then $\\max_{\\overline\\Omega}u=\\max_{\\partial\\Omega}u$.\n\\end{theorem}",
            "\\begin{proposition}\nThe energy $E(t)=\\frac12\\int_\\Omega (u_t^2+|\\nabla u|^2)\\,dx$ of a solution of the wave equation is constant in time.\n\\end{proposition}",
        ),
        "proofs": (
            "\\begin{proof}\nMultiplying the equation by $u$, integrating over $\\Omega$ and integrating by parts, we find $\\frac{d}{dt}\\frac12\\int_\\Omega u^2\\,dx = -\\int_\\Omega|\\nabla u|^2\\,dx\\le 0$.\n\\end{proof}",
            "\\begin{proof}\nThe bilinear form $B(u,v)=\\int_\\Omega\\nabla u\\cdot\\nabla v\\,dx$ is bounded and, by the Poincar\\'e inequality, coercive on $H^1_0(\\Omega)$. The Lax--Milgram theorem gives existence and uniqueness, and the estimate follows by testing with $u$ itself.\n\\end{proof}",
            "\\begin{proof}\nFor $\\varepsilon>0$ put $v=u+\\varepsilon|x|^2$. Then $\\Delta v>0$, so $v$ cannot attain an interior maximum. Letting $\\varepsilon\\to 0$ gives the claim.\n\\end{proof}",
        ),
        "eqs": (
            "Integrating by parts twice we obtain the identity\n\\begin{equation}\\label{eq:green}\n\\int_\\Omega (u\\Delta v - v\\Delta u)\\,dx = \\int_{\\partial\\Omega}(u\\,\\partial_\\nu v - v\\,\\partial_\\nu u)\\,dS.\n\\end{equation}",
            "The fundamental solution of the heat equation is\n\\[\n\\Phi(x,t) = (4\\pi t)^{-⟦k⟧/2}\\exp\\Big(-\\frac{|x|^2}{4t}\\Big),\\qquad t>0.\n\\]",
            "Gronwall's inequality applied to $y(t)=\\|u(t)\\|_{L^2}^2$ yields\n\\begin{equation}\ny(t)\\le e^{⟦k⟧t}\\Big(y(0)+\\int_0^t\\|f(s)\\|_{L^2}^2\\,ds\\Big).\n\\end{equation}",
        ),
        "remarks": (
            "\\begin{remark}\nThe smoothness of $\\partial\\Omega$ is needed only for the regularity statement; existence holds for arbitrary bounded domains.\n\\end{remark}",
            "\\begin{remark}\nFor the wave equation no smoothing effect occurs, in contrast to the heat equation.\n\\end{remark}",
        ),
    },
    "optimization": {
        "titles": (
            "Convergence of gradient descent",
            "Convex sets and separation",
            "Duality",
            "Proximal methods",
        ),
        "intro": (
            "Let $f\\colon\\mathbb{R}^{d}\\to\\mathbb{R}$ be convex and differentiable with an $L$-Lipschitz gradient.",
            "We consider the problem of minimising $f$ over a closed convex set $C\\subseteq\\mathbb{R}^d$.",
            "Gradient descent with a constant step size is the simplest first-order method.",
            "Duality provides lower bounds on the optimal value and certificates of optimality.",
            "In this section we analyse the proximal gradient method for composite objectives $f+g$.",
            "Throughout, $x^\\star$ denotes a minimiser of $f$ and $f^\\star=f(x^\\star)$ the optimal value.",
        ),
        "defs": (
            "\\begin{definition}\nA differentiable function $f$ is \\emph{$\\mu$-strongly convex} if $f(y)\\ge f(x)+\\langle\\nabla f(x),y-x\\rangle+\\frac{\\mu}{2}\\|y-x\\|^2$ for all $x,y$.\n\\end{definition}",
            "\\begin{definition}\nThe \\emph{proximal operator} of a convex function $g$ is $\\operatorname{prox}_{g}(x)=\\arg\\min_y\\big(g(y)+\\frac12\\|y-x\\|^2\\big)$.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}\nWith step size $1/L$, gradient descent satisfies $f(x_k)-f^\\star\\le\\frac{L\\|x_0-x^\\star\\|^2}{2k}$ for all $k\\ge 1$.\n\\end{theorem}",
            "\\begin{lemma}[descent lemma]\\label{lem:descent}\nIf $\\nabla f$ is $L$-Lipschitz, then $f(y)\\le f(x)+\\langle\\nabla f(x),y-x\\rangle+\\frac{L}{2}\\|y-x\\|^2$.\n\\end{lemma}",
            "\\begin{theorem}\nIf $f$ is $\\mu$-strongly convex, gradient descent with step size $1/L$ converges linearly: $\\|x_k-x^\\star\\|^2\\le(1-\\mu/L)^k\\|x_0-x^\\star\\|^2$.\n\\end{theorem}",
            "\\begin{proposition}[weak duality]\nFor every feasible $x$ and every dual feasible $\\lambda\\ge 0$ we have $g(\\lambda)\\le f(x)$.\n\\end{proposition}",
        ),
        "proofs": (
            "\\begin{proof}\nApplying Lemma~\\ref{lem:descent} with $y=x_{k+1}=x_k-\\frac1L\\nabla f(x_k)$ gives $f(x_{k+1})\\le f(x_k)-\\frac{1}{2L}\\|\\nabla f(x_k)\\|^2$. Combining this with convexity and summing over $k$ yields the bound.\n\\end{proof}",
            "\\begin{proof}\nWrite $f(y)-f(x)=\\int_0^1\\langle\\nabla f(x+t(y-x)),y-x\\rangle\\,dt$, subtract $\\langle\\nabla f(x),y-x\\rangle$ and use the Lipschitz bound together with the Cauchy--Schwarz inequality.\n\\end{proof}",
            "\\begin{proof}\nBy definition of the dual function, $g(\\lambda)\\le f(x)+\\sum_i\\lambda_i h_i(x)\\le f(x)$, since $\\lambda_i\\ge 0$ and $h_i(x)\\le 0$ for feasible $x$.\n\\end{proof}",
        ),
        "eqs": (
            "The iteration of the method reads\n\\begin{equation}\\label{eq:iter}\nx_{k+1} = \\operatorname{prox}_{\\eta g}\\big(x_k - \\eta\\nabla f(x_k)\\big),\\qquad \\eta = \\frac{1}{⟦k⟧L}.\n\\end{equation}",
            "The Lagrangian of the problem is\n\\[\n\\mathcal{L}(x,\\lambda) = f(x) + \\sum_{i=1}^{⟦k⟧}\\lambda_i h_i(x),\\qquad \\lambda\\in\\mathbb{R}^{⟦k⟧}_{\\ge 0}.\n\\]",
            "Strong convexity and smoothness together give\n\\begin{equation}\n\\frac{\\mu}{2}\\|x-x^\\star\\|^2\\le f(x)-f^\\star\\le\\frac{L}{2}\\|x-x^\\star\\|^2.\n\\end{equation}",
        ),
        "remarks": (
            "\\begin{remark}\nThe rate $O(1/k)$ is not optimal; Nesterov's accelerated method achieves $O(1/k^2)$.\n\\end{remark}",
            "\\begin{remark}\nIn practice $L$ is rarely known, and a backtracking line search is used instead of a fixed step.\n\\end{remark}",
        ),
    },
    "topology": {
        "titles": (
            "Covering spaces",
            "Homotopy and the fundamental group",
            "Simplicial homology",
            "CW complexes",
        ),
        "intro": (
            "All spaces in this section are assumed to be path-connected and locally path-connected.",
            "Let $X$ be a topological space and $x_0\\in X$ a base point.",
            "The fundamental group $\\pi_1(X,x_0)$ is the group of homotopy classes of loops based at $x_0$.",
            "Covering space theory translates topological questions into questions about groups.",
            "We use singular homology with integer coefficients unless stated otherwise.",
            "A CW complex is built inductively by attaching cells of increasing dimension.",
        ),
        "defs": (
            "\\begin{definition}\nA map $p\\colon\\widetilde X\\to X$ is a \\emph{covering map} if every point of $X$ has an open neighbourhood $U$ such that $p^{-1}(U)$ is a disjoint union of open sets each mapped homeomorphically onto $U$.\n\\end{definition}",
            "\\begin{definition}\nTwo maps $f,g\\colon X\\to Y$ are \\emph{homotopic} if there is a continuous map $H\\colon X\\times[0,1]\\to Y$ with $H(\\cdot,0)=f$ and $H(\\cdot,1)=g$.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}\nThe fundamental group of the circle is infinite cyclic: $\\pi_1(S^1)\\cong\\mathbb{Z}$.\n\\end{theorem}",
            "\\begin{lemma}[path lifting]\\label{lem:lift}\nLet $p\\colon\\widetilde X\\to X$ be a covering map. Every path in $X$ starting at $x_0$ lifts uniquely to a path in $\\widetilde X$ starting at any given point of $p^{-1}(x_0)$.\n\\end{lemma}",
            "\\begin{theorem}\nThe homology groups of the sphere $S^{⟦k⟧}$ are $H_i(S^{⟦k⟧})\\cong\\mathbb{Z}$ for $i\\in\\{0,⟦k⟧\\}$ and zero otherwise.\n\\end{theorem}",
            "\\begin{proposition}\nThe Euler characteristic of a finite CW complex equals the alternating sum of the numbers of its cells.\n\\end{proposition}",
        ),
        "proofs": (
            "\\begin{proof}\nConsider the covering $\\mathbb{R}\\to S^1$, $t\\mapsto e^{2\\pi i t}$. By Lemma~\\ref{lem:lift}, each loop lifts to a path from $0$ to an integer $n$, and homotopic loops give the same endpoint. The map sending a loop to $n$ is the desired isomorphism.\n\\end{proof}",
            "\\begin{proof}\nUse the Mayer--Vietoris sequence for the cover of $S^{⟦k⟧}$ by two open hemispheres, whose intersection is homotopy equivalent to $S^{⟦k⟧-1}$, and argue by induction on the dimension.\n\\end{proof}",
            "\\begin{proof}\nBy the Lebesgue number lemma, subdivide the path into finitely many pieces, each contained in an evenly covered open set, and lift the pieces one after another.\n\\end{proof}",
        ),
        "eqs": (
            "The long exact sequence of the pair $(X,A)$ reads\n\\[\n\\cdots\\to H_n(A)\\to H_n(X)\\to H_n(X,A)\\to H_{n-1}(A)\\to\\cdots\n\\]",
            "For a finite CW complex with $c_i$ cells of dimension $i$ we have\n\\begin{equation}\\label{eq:euler-char}\n\\chi(X) = \\sum_{i\\ge 0}(-1)^i c_i = \\sum_{i\\ge 0}(-1)^i\\operatorname{rank}H_i(X).\n\\end{equation}",
            "The van Kampen theorem gives\n\\begin{equation}\n\\pi_1(U\\cup V)\\cong\\pi_1(U)*_{\\pi_1(U\\cap V)}\\pi_1(V).\n\\end{equation}",
        ),
        "remarks": (
            "\\begin{remark}\nThe local path-connectedness assumption is essential; the Warsaw circle is a standard counterexample.\n\\end{remark}",
            "\\begin{remark}\nThe same argument computes the homology of the torus once one uses a suitable cell structure.\n\\end{remark}",
        ),
    },
    "linear_algebra": {
        "titles": (
            "Matrix norms and conditioning",
            "Eigenvalue inequalities",
            "The singular value decomposition",
            "Positive definite matrices",
        ),
        "intro": (
            "Let $A\\in\\mathbb{R}^{n\\times n}$ be a real matrix and let $\\|\\cdot\\|$ denote the spectral norm.",
            "We write $\\lambda_1(A)\\ge\\dots\\ge\\lambda_n(A)$ for the eigenvalues of a symmetric matrix $A$.",
            "The singular value decomposition is the most important factorisation in numerical linear algebra.",
            "A symmetric matrix $A$ is positive definite if $x^\\top A x>0$ for all non-zero vectors $x$.",
            "In this section we recall classical inequalities between eigenvalues of Hermitian matrices.",
            "The condition number measures the sensitivity of the solution of $Ax=b$ to perturbations of the data.",
        ),
        "defs": (
            "\\begin{definition}\nThe \\emph{condition number} of an invertible matrix $A$ is $\\kappa(A)=\\|A\\|\\,\\|A^{-1}\\|$.\n\\end{definition}",
            "\\begin{definition}\nThe \\emph{singular values} of $A\\in\\mathbb{R}^{m\\times n}$ are the square roots of the eigenvalues of $A^\\top A$, listed in decreasing order.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}[Courant--Fischer]\nFor a symmetric matrix $A$ and $1\\le k\\le n$,\n\\[\n\\lambda_k(A)=\\max_{\\dim V=k}\\ \\min_{x\\in V,\\ \\|x\\|=1} x^\\top A x.\n\\]\n\\end{theorem}",
            "\\begin{theorem}[Weyl]\nIf $A$ and $B$ are symmetric, then $|\\lambda_k(A+B)-\\lambda_k(A)|\\le\\|B\\|$ for every $k$.\n\\end{theorem}",
            "\\begin{lemma}\\label{lem:cholesky}\nEvery symmetric positive definite matrix has a unique factorisation $A=LL^\\top$ with $L$ lower triangular with positive diagonal.\n\\end{lemma}",
            "\\begin{theorem}[Eckart--Young]\nThe best rank-$⟦k⟧$ approximation of $A$ in the spectral norm is obtained by truncating its singular value decomposition.\n\\end{theorem}",
        ),
        "proofs": (
            "\\begin{proof}\nBy the Courant--Fischer theorem, $\\lambda_k(A+B)\\le\\lambda_k(A)+\\lambda_1(B)\\le\\lambda_k(A)+\\|B\\|$. Exchanging the roles of $A+B$ and $A$ gives the reverse inequality.\n\\end{proof}",
            "\\begin{proof}\nWe proceed by induction on $n$. Write $A=\\begin{pmatrix}a & b^\\top\\\\ b & C\\end{pmatrix}$ with $a>0$. The Schur complement $C-bb^\\top/a$ is again positive definite, and the induction hypothesis applies to it.\n\\end{proof}",
            "\\begin{proof}\nLet $V$ be spanned by the first $k$ eigenvectors. Then $x^\\top Ax\\ge\\lambda_k$ for unit vectors $x\\in V$. Conversely, any $k$-dimensional subspace meets the span of the last $n-k+1$ eigenvectors non-trivially.\n\\end{proof}",
        ),
        "eqs": (
            "The relative error satisfies\n\\begin{equation}\\label{eq:cond}\n\\frac{\\|\\delta x\\|}{\\|x\\|}\\le\\kappa(A)\\,\\frac{\\|\\delta b\\|}{\\|b\\|}.\n\\end{equation}",
            "In terms of singular values,\n\\[\n\\|A\\|_F^2=\\sum_{i=1}^{r}\\sigma_i^2,\\qquad \\|A\\|=\\sigma_1,\\qquad \\kappa(A)=\\frac{\\sigma_1}{\\sigma_n}.\n\\]",
            "For the matrix of Example~⟦k⟧ one finds\n\\begin{equation}\nA=\\begin{pmatrix}⟦k⟧ & 1\\\\ 1 & ⟦m⟧\\end{pmatrix},\\qquad \\det A = ⟦k⟧\\cdot⟦m⟧-1.\n\\end{equation}",
        ),
        "remarks": (
            "\\begin{remark}\nWeyl's inequality shows that the eigenvalues of a symmetric matrix are perfectly conditioned, in contrast to its eigenvectors.\n\\end{remark}",
            "\\begin{remark}\nThe same statement holds in the Frobenius norm, where the error equals the root sum of squares of the discarded singular values.\n\\end{remark}",
        ),
    },
    "dynamical_systems": {
        "titles": (
            "Fixed points and stability",
            "Ergodic theorems",
            "Lyapunov functions",
            "Periodic orbits of planar flows",
        ),
        "intro": (
            "Consider the autonomous system $\\dot x = F(x)$, where $F\\colon\\mathbb{R}^{⟦k⟧}\\to\\mathbb{R}^{⟦k⟧}$ is continuously differentiable.",
            "Let $T\\colon X\\to X$ be a measure-preserving transformation of a probability space $(X,\\mathcal{B},\\mu)$.",
            "The linearisation at an equilibrium determines its local stability in the hyperbolic case.",
            "Lyapunov's direct method avoids solving the equation altogether.",
            "In this section we study the long-time behaviour of orbits of a continuous map of a compact metric space.",
            "Throughout, $\\varphi_t$ denotes the flow generated by the vector field $F$.",
        ),
        "defs": (
            "\\begin{definition}\nAn equilibrium $x^\\ast$ of $\\dot x=F(x)$ is \\emph{asymptotically stable} if it is stable and all solutions starting close enough to $x^\\ast$ converge to $x^\\ast$.\n\\end{definition}",
            "\\begin{definition}\nA measure-preserving transformation $T$ is \\emph{ergodic} if every measurable set $A$ with $T^{-1}A=A$ satisfies $\\mu(A)\\in\\{0,1\\}$.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}\nIf all eigenvalues of $DF(x^\\ast)$ have negative real part, then $x^\\ast$ is asymptotically stable.\n\\end{theorem}",
            "\\begin{theorem}[Birkhoff]\nIf $T$ is ergodic and $f\\in L^1(\\mu)$, then $\\frac1n\\sum_{j=0}^{n-1}f(T^jx)\\to\\int f\\,d\\mu$ for $\\mu$-almost every $x$.\n\\end{theorem}",
            "\\begin{lemma}\\label{lem:lyap}\nLet $V$ be a $C^1$ function with $V(x^\\ast)=0$, $V>0$ elsewhere near $x^\\ast$, and $\\dot V\\le 0$ along solutions. Then $x^\\ast$ is stable.\n\\end{lemma}",
            "\\begin{theorem}[Poincar\\'e--Bendixson]\nA non-empty compact limit set of a planar flow that contains no equilibria is a periodic orbit.\n\\end{theorem}",
        ),
        "proofs": (
            "\\begin{proof}\nChoose a norm adapted to $DF(x^\\ast)$ in which $\\langle DF(x^\\ast)y,y\\rangle\\le-c\\|y\\|^2$ for some $c>0$. By Taylor's theorem the same inequality holds with $c/2$ for the nonlinear term near $x^\\ast$, and Gronwall's lemma gives exponential convergence.\n\\end{proof}",
            "\\begin{proof}\nGiven $\\varepsilon>0$, choose $\\delta$ so that $V\\ge m>0$ on the sphere of radius $\\varepsilon$ and $V<m$ on the ball of radius $\\delta$. Since $V$ does not increase along solutions, a solution starting in the smaller ball never reaches the sphere.\n\\end{proof}",
        ),
        "eqs": (
            "For the damped oscillator we take the energy\n\\begin{equation}\\label{eq:energy-osc}\nV(x,y)=\\frac12 y^2 + \\frac{⟦k⟧}{2}x^2,\\qquad \\dot V = -\\gamma y^2\\le 0.\n\\end{equation}",
            "The logistic map is given by\n\\[\nx_{n+1} = r\\,x_n(1-x_n),\\qquad x_n\\in[0,1],\\ r\\in[0,4].\n\\]",
            "The Lyapunov exponent of $T$ at $x$ is defined as\n\\begin{equation}\n\\lambda(x)=\\lim_{n\\to\\infty}\\frac1n\\log\\big|(T^n)'(x)\\big|.\n\\end{equation}",
        ),
        "remarks": (
            "\\begin{remark}\nIf some eigenvalue has positive real part the equilibrium is unstable, but the case of purely imaginary eigenvalues requires a finer analysis.\n\\end{remark}",
            "\\begin{remark}\nThe Poincar\\'e--Bendixson theorem fails in dimension three, as the Lorenz system illustrates.\n\\end{remark}",
        ),
    },
    "group_theory": {
        "titles": (
            "Sylow theory",
            "Group actions",
            "Solvable groups",
            "Representations of finite groups",
        ),
        "intro": (
            "Let $G$ be a finite group and $p$ a prime dividing $|G|$.",
            "Group actions provide a uniform language for counting arguments in finite group theory.",
            "We write $H\\le G$ if $H$ is a subgroup of $G$ and $H\\trianglelefteq G$ if it is normal.",
            "All representations in this section are finite-dimensional and defined over $\\mathbb{C}$.",
            "The Sylow theorems are the basic tool for analysing groups of small order.",
            "A group is solvable if it has a subnormal series with abelian factors.",
        ),
        "defs": (
            "\\begin{definition}\nA subgroup $P\\le G$ is a \\emph{Sylow $p$-subgroup} if $|P|=p^a$ where $p^a$ is the largest power of $p$ dividing $|G|$.\n\\end{definition}",
            "\\begin{definition}\nAn \\emph{action} of $G$ on a set $X$ is a homomorphism from $G$ to the symmetric group on $X$; the \\emph{orbit} of $x$ is $Gx=\\{gx : g\\in G\\}$.\n\\end{definition}",
        ),
        "thms": (
            "\\begin{theorem}[Sylow]\nSylow $p$-subgroups exist, are conjugate to each other, and their number $n_p$ satisfies $n_p\\equiv 1\\pmod p$ and $n_p$ divides $|G|$.\n\\end{theorem}",
            "\\begin{lemma}[orbit--stabiliser]\\label{lem:orbit}\nFor every $x\\in X$ we have $|Gx|\\cdot|G_x|=|G|$.\n\\end{lemma}",
            "\\begin{proposition}\nEvery group of order $pq$ with $p<q$ primes and $p\\nmid q-1$ is cyclic.\n\\end{proposition}",
            "\\begin{theorem}[Maschke]\nEvery representation of a finite group over $\\mathbb{C}$ is a direct sum of irreducible representations.\n\\end{theorem}",
        ),
        "proofs": (
            "\\begin{proof}\nThe map $G\\to Gx$, $g\\mapsto gx$, is surjective and $g,h$ have the same image if and only if $g^{-1}h\\in G_x$. Hence $Gx$ is in bijection with the cosets of $G_x$, and Lagrange's theorem gives the formula.\n\\end{proof}",
            "\\begin{proof}\nBy Sylow's theorem $n_q$ divides $p$ and $n_q\\equiv 1\\pmod q$, so $n_q=1$. Similarly $n_p=1$ because $p\\nmid q-1$. Both Sylow subgroups are normal, intersect trivially and the group is their direct product, which is cyclic.\n\\end{proof}",
            "\\begin{proof}\nLet $W$ be an invariant subspace and $\\pi$ any projection onto $W$. The averaged map $\\frac{1}{|G|}\\sum_{g\\in G}g\\pi g^{-1}$ is a $G$-equivariant projection onto $W$, whose kernel is an invariant complement.\n\\end{proof}",
        ),
        "eqs": (
            "Counting fixed points gives Burnside's lemma\n\\begin{equation}\\label{eq:burnside}\n|X/G| = \\frac{1}{|G|}\\sum_{g\\in G}|X^g|.\n\\end{equation}",
            "The class equation reads\n\\[\n|G| = |Z(G)| + \\sum_{i=1}^{r}[G:C_G(x_i)],\n\\]\nwhere $x_1,\\dots,x_r$ represent the non-central conjugacy classes.",
            "The orthogonality relations for characters state that\n\\begin{equation}\n\\frac{1}{|G|}\\sum_{g\\in G}\\chi_i(g)\\overline{\\chi_j(g)}=\\delta_{ij}.\n\\end{equation}",
        ),
        "remarks": (
            "\\begin{remark}\nFor example, every group of order $15$ is cyclic, while there are exactly two groups of order $2p$ up to isomorphism when $p$ is an odd prime.\n\\end{remark}",
            "\\begin{remark}\nMaschke's theorem fails when the characteristic of the field divides the order of the group.\n\\end{remark}",
        ),
    },
}

ARXIV_GLUE: tuple[str, ...] = (
    "We now turn to the proof of the main result.",
    "The following lemma is the key step in the argument.",
    "Before giving the proof, we make a few comments on the assumptions.",
    "This result will be used in Section~⟦k⟧.",
    "The proof follows the strategy outlined in the introduction.",
    "We postpone the technical details to Appendix~A.",
    "As a first step, we show that the problem reduces to the case of bounded data.",
    "The argument is standard, but we include it for the reader's convenience.",
    "It remains to treat the case where the inequality is strict.",
    "In the remainder of this section we fix the notation introduced above.",
    "Combining the previous two results, we obtain the following corollary.",
    "This observation is due to several authors and appears in various forms in the literature.",
)


# Source files (algebraic-stack): per language a file header and function-sized templates. Upper-case
# slots (⟦F⟧, ⟦TOL⟧, ⟦X⟧, ...) are the file's naming style: chosen once per file from CODE_NAMES, so
# every function of a file names things alike and a paraphrase can rename one consistently.
# ⟦name:a|b⟧ picks a function name once per file, ⟦a|b⟧ varies a comment; ⟦tol⟧, ⟦maxit⟧, ⟦n⟧
# and ⟦n2⟧ are numeric constants drawn per file (⟦fibval⟧ and ⟦factval⟧ follow from ⟦n⟧).
CODE_NAMES: dict[str, tuple[str, ...]] = {
    "F": ("f", "func", "fun", "g", "phi"),
    "DF": ("df", "dfdx", "fprime", "deriv", "jac"),
    "X0": ("x0", "x_init", "guess", "start", "xs"),
    "TOL": ("tol", "eps", "atol", "tolerance", "xtol"),
    "MAXIT": ("max_iter", "maxiter", "nmax", "max_steps", "max_it"),
    "STEP": ("step", "dx", "delta", "update", "corr"),
    "A": ("A", "M", "mat", "K", "L"),
    "B": ("b", "rhs", "f_vec", "y", "load"),
    "X": ("x", "u", "sol", "v", "z"),
    "R": ("r", "res", "resid", "residual", "rk"),
    "K": ("k", "it", "kk", "j", "iter_no"),
    "LO": ("a", "lo", "left", "xl", "x_min"),
    "HI": ("b", "hi", "right", "xr", "x_max"),
    "N": ("n", "num", "count", "size", "npts"),
    "H": ("h", "dx", "step_size", "width", "hh"),
    "ACC": ("s", "total", "acc", "result", "value"),
    "I": ("i", "idx", "ii", "jj", "row"),
    "V": ("v", "vec", "w", "col_vec", "e"),
    "LAM": ("lam", "mu", "rho", "ev", "theta"),
    "NN": ("n", "t", "j", "z", "r"),
    "XS": ("xs", "l", "lst", "zs", "items"),
}

CODE_HEADERS: dict[str, tuple[str, ...]] = {
    "python": (
        '"""⟦Numerical utilities|Small numerical routines|Helpers for the solver module|Reference implementations used in the tests⟧."""\n\nimport numpy as np',
        '"""⟦Iterative methods|Quadrature and root finding|Linear algebra helpers⟧ for the ⟦course|benchmark suite|examples⟧."""\n\nfrom __future__ import annotations\n\nimport math\n\nimport numpy as np',
        "# ⟦Utility functions|Numerical kernels|Basic algorithms⟧, written for ⟦teaching|testing|prototyping⟧.\nimport numpy as np",
        "# -*- coding: utf-8 -*-\n# ⟦Exercise set|Lab|Worksheet⟧ ⟦n⟧: ⟦root finding|quadrature|linear solvers|eigenvalues⟧\nimport math\nimport numpy as np",
    ),
    "cpp": (
        "// ⟦Basic numerical kernels|Small linear algebra helpers|Reference implementations⟧.\n#include <cmath>\n#include <vector>",
        "#pragma once\n\n// ⟦Header-only utilities|Iterative solvers|Numerical routines⟧ for the ⟦examples|benchmarks|unit tests⟧.\n#include <cmath>\n#include <cstddef>\n#include <vector>",
        "/* ⟦Numerical methods|Sparse matrix helpers|Math utilities⟧ - ⟦example code|first version|draft|not optimised⟧ */\n#include <algorithm>\n#include <cmath>\n#include <vector>",
        "#include <cmath>\n#include <functional>\n#include <vector>\n\nnamespace ⟦num|numerics|detail|solvers⟧ {",
    ),
    "matlab": (
        "% ⟦Numerical experiments|Helper functions|Examples⟧ for ⟦the chapter on quadrature|the exercises|the lecture notes|the homework⟧.",
        "%% ⟦Test script|Convergence study|Demo⟧\n% ⟦Compares the methods below|Checks the accuracy of the approximations|Plots the results⟧.",
        "% ⟦Author: course staff|Last modified for the lab session|See also the accompanying notes⟧.",
    ),
    "lean": (
        "import Mathlib.Tactic\n\n/-! # ⟦Basic lemmas about natural numbers|Small exercises|Arithmetic facts⟧ -/",
        "import Mathlib.Data.Nat.Basic\nimport Mathlib.Tactic\n\nnamespace ⟦Exercises|Demo|Arith|Sheet⟧",
        "-- ⟦Elementary number theory|Warm-up lemmas|Induction exercises⟧\nimport Mathlib.Tactic",
    ),
    "coq": (
        "(* ⟦Basic facts about natural numbers|Exercises on lists|Induction exercises⟧ *)\nRequire Import Arith.\nRequire Import List.\nImport ListNotations.",
        "From mathcomp Require Import ssreflect ssrbool ssrnat.\n(* ⟦Small lemmas in ssreflect style|Arithmetic warm-up⟧ *)",
        "(** * ⟦Lists and natural numbers|Recursion and induction|Warm-up⟧ *)\nRequire Import Arith List Lia.\nImport ListNotations.",
    ),
}

CODE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "python": (
        'def ⟦newton:newton|newton_solve|find_root|newton_raphson⟧(⟦F⟧, ⟦DF⟧, ⟦X0⟧, ⟦TOL⟧=⟦tol⟧, ⟦MAXIT⟧=⟦maxit⟧):\n    """⟦Find a root of f by Newton\'s method|Newton iteration for f(x) = 0|Solve f(x) = 0 with Newton\'s method⟧."""\n    ⟦X⟧ = ⟦X0⟧\n    for _ in range(⟦MAXIT⟧):\n        ⟦STEP⟧ = ⟦F⟧(⟦X⟧) / ⟦DF⟧(⟦X⟧)\n        ⟦X⟧ -= ⟦STEP⟧\n        if abs(⟦STEP⟧) < ⟦TOL⟧:\n            return ⟦X⟧\n    raise RuntimeError("⟦Newton iteration did not converge|no convergence|too many iterations⟧")',
        'def ⟦bisect:bisect|bisection|root_bisect|bisection_method⟧(⟦F⟧, ⟦LO⟧, ⟦HI⟧, ⟦TOL⟧=⟦tol⟧):\n    """⟦Root of f in [a, b] by bisection|Bisection method on a bracketing interval|Halve the interval until it is shorter than the tolerance⟧."""\n    f_lo = ⟦F⟧(⟦LO⟧)\n    if f_lo * ⟦F⟧(⟦HI⟧) > 0:\n        raise ValueError("⟦the interval does not bracket a root|f must change sign on the interval|no sign change⟧")\n    while ⟦HI⟧ - ⟦LO⟧ > ⟦TOL⟧:\n        mid = 0.5 * (⟦LO⟧ + ⟦HI⟧)\n        f_mid = ⟦F⟧(mid)\n        if f_lo * f_mid <= 0:\n            ⟦HI⟧ = mid\n        else:\n            ⟦LO⟧, f_lo = mid, f_mid\n    return 0.5 * (⟦LO⟧ + ⟦HI⟧)',
        'def ⟦simpson:simpson|simpson_rule|integrate_simpson|composite_simpson⟧(⟦F⟧, ⟦LO⟧, ⟦HI⟧, ⟦N⟧=⟦n2⟧):\n    """⟦Composite Simpson rule with an even number of subintervals|Simpson quadrature on a uniform grid|Approximate the integral with Simpson\'s rule⟧."""\n    if ⟦N⟧ % 2:\n        ⟦N⟧ += 1\n    ⟦H⟧ = (⟦HI⟧ - ⟦LO⟧) / ⟦N⟧\n    nodes = np.linspace(⟦LO⟧, ⟦HI⟧, ⟦N⟧ + 1)\n    vals = ⟦F⟧(nodes)\n    return ⟦H⟧ / 3 * (vals[0] + vals[-1] + 4 * vals[1:-1:2].sum() + 2 * vals[2:-1:2].sum())',
        'def ⟦power:power_iteration|dominant_eigenpair|power_method|largest_eigenvalue⟧(⟦A⟧, ⟦MAXIT⟧=⟦maxit⟧, ⟦TOL⟧=⟦tol⟧):\n    """⟦Dominant eigenvalue and eigenvector by power iteration|Power method for the largest eigenvalue in modulus|Estimate the spectral radius of A⟧."""\n    ⟦V⟧ = np.ones(⟦A⟧.shape[0]) / np.sqrt(⟦A⟧.shape[0])\n    ⟦LAM⟧ = 0.0\n    for _ in range(⟦MAXIT⟧):\n        w = ⟦A⟧ @ ⟦V⟧\n        ⟦V⟧ = w / np.linalg.norm(w)\n        new = ⟦V⟧ @ ⟦A⟧ @ ⟦V⟧\n        if abs(new - ⟦LAM⟧) < ⟦TOL⟧:\n            return new, ⟦V⟧\n        ⟦LAM⟧ = new\n    return ⟦LAM⟧, ⟦V⟧',
        'def ⟦jacobi:jacobi|jacobi_solve|solve_jacobi|jacobi_iteration⟧(⟦A⟧, ⟦B⟧, ⟦TOL⟧=⟦tol⟧, ⟦MAXIT⟧=⟦maxit⟧):\n    """⟦Solve A x = b with the Jacobi iteration (A diagonally dominant)|Jacobi method for a diagonally dominant system|Point Jacobi iteration⟧."""\n    diag = np.diag(⟦A⟧)\n    off = ⟦A⟧ - np.diagflat(diag)\n    ⟦X⟧ = np.zeros_like(⟦B⟧, dtype=float)\n    for _ in range(⟦MAXIT⟧):\n        new = (⟦B⟧ - off @ ⟦X⟧) / diag\n        if np.linalg.norm(new - ⟦X⟧, ord=np.inf) < ⟦TOL⟧:\n            return new\n        ⟦X⟧ = new\n    return ⟦X⟧',
        'def ⟦rk4:rk4_step|runge_kutta_step|step_rk4|rk4⟧(⟦F⟧, t, y, ⟦H⟧):\n    """⟦One step of the classical fourth-order Runge-Kutta method|Classical RK4 step|Advance y by one RK4 step of size h⟧."""\n    k1 = ⟦F⟧(t, y)\n    k2 = ⟦F⟧(t + ⟦H⟧ / 2, y + ⟦H⟧ / 2 * k1)\n    k3 = ⟦F⟧(t + ⟦H⟧ / 2, y + ⟦H⟧ / 2 * k2)\n    k4 = ⟦F⟧(t + ⟦H⟧, y + ⟦H⟧ * k3)\n    return y + ⟦H⟧ / 6 * (k1 + 2 * k2 + 2 * k3 + k4)\n\n\ndef ⟦integrate:integrate|solve_ode|odeint_rk4|march⟧(⟦F⟧, y0, t0, t1, ⟦N⟧=⟦n2⟧):\n    ⟦H⟧ = (t1 - t0) / ⟦N⟧\n    y, t = np.asarray(y0, dtype=float), t0\n    for _ in range(⟦N⟧):\n        y = ⟦rk4⟧(⟦F⟧, t, y, ⟦H⟧)\n        t += ⟦H⟧\n    return y',
        'def ⟦sieve:sieve|primes_up_to|eratosthenes|prime_sieve⟧(⟦N⟧):\n    """⟦Return the list of primes not exceeding n|Sieve of Eratosthenes|All primes up to and including n⟧."""\n    if ⟦N⟧ < 2:\n        return []\n    is_prime = [True] * (⟦N⟧ + 1)\n    is_prime[0] = is_prime[1] = False\n    for ⟦I⟧ in range(2, int(⟦N⟧**0.5) + 1):\n        if is_prime[⟦I⟧]:\n            for ⟦K⟧ in range(⟦I⟧ * ⟦I⟧, ⟦N⟧ + 1, ⟦I⟧):\n                is_prime[⟦K⟧] = False\n    return [⟦I⟧ for ⟦I⟧, flag in enumerate(is_prime) if flag]',
        'def ⟦horner:horner|polyval|eval_poly|poly_eval⟧(coeffs, ⟦X⟧):\n    """⟦Evaluate a polynomial with coefficients in decreasing degree|Horner scheme|Nested multiplication for polynomials⟧."""\n    ⟦ACC⟧ = 0.0\n    for c in coeffs:\n        ⟦ACC⟧ = ⟦ACC⟧ * ⟦X⟧ + c\n    return ⟦ACC⟧\n\n\ndef ⟦cheb:chebyshev_nodes|cheb_points|chebpts|cheb_nodes⟧(⟦N⟧, ⟦LO⟧=-1.0, ⟦HI⟧=1.0):\n    """⟦Chebyshev points of the first kind mapped to [a, b]|Chebyshev nodes on an interval|Roots of the Chebyshev polynomial of degree n, rescaled⟧."""\n    ⟦K⟧ = np.arange(⟦N⟧)\n    t = np.cos((2 * ⟦K⟧ + 1) * np.pi / (2 * ⟦N⟧))\n    return 0.5 * (⟦LO⟧ + ⟦HI⟧) + 0.5 * (⟦HI⟧ - ⟦LO⟧) * t',
        'def ⟦cg:conjugate_gradient|cg_solve|cg|solve_cg⟧(⟦A⟧, ⟦B⟧, ⟦TOL⟧=⟦tol⟧, ⟦MAXIT⟧=⟦maxit⟧):\n    """⟦Conjugate gradient method for a symmetric positive definite matrix|Unpreconditioned CG|Solve an SPD system by conjugate gradients⟧."""\n    ⟦X⟧ = np.zeros_like(⟦B⟧, dtype=float)\n    ⟦R⟧ = ⟦B⟧ - ⟦A⟧ @ ⟦X⟧\n    d = ⟦R⟧.copy()\n    rho = ⟦R⟧ @ ⟦R⟧\n    for _ in range(⟦MAXIT⟧):\n        ad = ⟦A⟧ @ d\n        alpha = rho / (d @ ad)\n        ⟦X⟧ += alpha * d\n        ⟦R⟧ -= alpha * ad\n        rho_new = ⟦R⟧ @ ⟦R⟧\n        if np.sqrt(rho_new) < ⟦TOL⟧:\n            break\n        d = ⟦R⟧ + (rho_new / rho) * d\n        rho = rho_new\n    return ⟦X⟧',
        'def ⟦gcd:extended_gcd|egcd|xgcd|bezout⟧(⟦LO⟧, ⟦HI⟧):\n    """⟦Return (g, s, t) with g = gcd(a, b) = s*a + t*b|Extended Euclidean algorithm|Bezout coefficients and the gcd⟧."""\n    old_r, ⟦R⟧ = ⟦LO⟧, ⟦HI⟧\n    old_s, s = 1, 0\n    old_t, t = 0, 1\n    while ⟦R⟧:\n        quot = old_r // ⟦R⟧\n        old_r, ⟦R⟧ = ⟦R⟧, old_r - quot * ⟦R⟧\n        old_s, s = s, old_s - quot * s\n        old_t, t = t, old_t - quot * t\n    return old_r, old_s, old_t',
        'def ⟦secant:secant|secant_method|secant_root|solve_secant⟧(⟦F⟧, x_prev, ⟦X⟧, ⟦TOL⟧=⟦tol⟧, ⟦MAXIT⟧=⟦maxit⟧):\n    """⟦Secant method; needs two starting points|Root finding without derivatives|Secant iteration for f(x) = 0⟧."""\n    f_prev = ⟦F⟧(x_prev)\n    for _ in range(⟦MAXIT⟧):\n        f_cur = ⟦F⟧(⟦X⟧)\n        ⟦STEP⟧ = f_cur * (⟦X⟧ - x_prev) / (f_cur - f_prev)\n        x_prev, f_prev = ⟦X⟧, f_cur\n        ⟦X⟧ -= ⟦STEP⟧\n        if abs(⟦STEP⟧) < ⟦TOL⟧:\n            return ⟦X⟧\n    return ⟦X⟧',
        'def ⟦gs:gauss_seidel|gs_solve|seidel|gauss_seidel_solve⟧(⟦A⟧, ⟦B⟧, ⟦TOL⟧=⟦tol⟧, ⟦MAXIT⟧=⟦maxit⟧):\n    """⟦Gauss-Seidel iteration, updating the unknowns in place|Forward Gauss-Seidel sweeps|Solve A x = b by Gauss-Seidel⟧."""\n    ⟦N⟧ = len(⟦B⟧)\n    ⟦X⟧ = np.zeros(⟦N⟧)\n    for _ in range(⟦MAXIT⟧):\n        change = 0.0\n        for ⟦I⟧ in range(⟦N⟧):\n            ⟦ACC⟧ = ⟦B⟧[⟦I⟧] - ⟦A⟧[⟦I⟧, :⟦I⟧] @ ⟦X⟧[:⟦I⟧] - ⟦A⟧[⟦I⟧, ⟦I⟧ + 1 :] @ ⟦X⟧[⟦I⟧ + 1 :]\n            new = ⟦ACC⟧ / ⟦A⟧[⟦I⟧, ⟦I⟧]\n            change = max(change, abs(new - ⟦X⟧[⟦I⟧]))\n            ⟦X⟧[⟦I⟧] = new\n        if change < ⟦TOL⟧:\n            break\n    return ⟦X⟧',
        'def ⟦gd:gradient_descent|descend|minimize_gd|steepest_descent⟧(⟦F⟧, grad, ⟦X0⟧, ⟦H⟧=⟦stepsize⟧, ⟦MAXIT⟧=⟦maxit⟧, ⟦TOL⟧=⟦tol⟧):\n    """⟦Gradient descent with backtracking line search|Steepest descent with Armijo backtracking|Minimise f starting from x0⟧."""\n    ⟦X⟧ = np.asarray(⟦X0⟧, dtype=float)\n    for _ in range(⟦MAXIT⟧):\n        grad_x = grad(⟦X⟧)\n        if np.linalg.norm(grad_x) < ⟦TOL⟧:\n            break\n        t = ⟦H⟧\n        while ⟦F⟧(⟦X⟧ - t * grad_x) > ⟦F⟧(⟦X⟧) - 0.5 * t * (grad_x @ grad_x):\n            t *= 0.5\n        ⟦X⟧ = ⟦X⟧ - t * grad_x\n    return ⟦X⟧',
        'def ⟦trap:trapezoid|trap_rule|integrate_trapezoid|trapz_uniform⟧(⟦F⟧, ⟦LO⟧, ⟦HI⟧, ⟦N⟧=⟦n2⟧):\n    """⟦Composite trapezoidal rule|Trapezoidal quadrature with n panels|Second order accurate quadrature⟧."""\n    ⟦H⟧ = (⟦HI⟧ - ⟦LO⟧) / ⟦N⟧\n    ⟦ACC⟧ = 0.5 * (⟦F⟧(⟦LO⟧) + ⟦F⟧(⟦HI⟧))\n    for ⟦I⟧ in range(1, ⟦N⟧):\n        ⟦ACC⟧ += ⟦F⟧(⟦LO⟧ + ⟦I⟧ * ⟦H⟧)\n    return ⟦ACC⟧ * ⟦H⟧',
        'def ⟦golden:golden_section|golden_search|minimize_golden|gss⟧(⟦F⟧, ⟦LO⟧, ⟦HI⟧, ⟦TOL⟧=⟦tol⟧):\n    """⟦Golden-section search for a minimum of a unimodal function|Minimise f on [a, b] without derivatives|Golden ratio search⟧."""\n    invphi = (math.sqrt(5) - 1) / 2\n    c = ⟦HI⟧ - invphi * (⟦HI⟧ - ⟦LO⟧)\n    d = ⟦LO⟧ + invphi * (⟦HI⟧ - ⟦LO⟧)\n    while abs(⟦HI⟧ - ⟦LO⟧) > ⟦TOL⟧:\n        if ⟦F⟧(c) < ⟦F⟧(d):\n            ⟦HI⟧ = d\n        else:\n            ⟦LO⟧ = c\n        c = ⟦HI⟧ - invphi * (⟦HI⟧ - ⟦LO⟧)\n        d = ⟦LO⟧ + invphi * (⟦HI⟧ - ⟦LO⟧)\n    return 0.5 * (⟦LO⟧ + ⟦HI⟧)',
        'def ⟦qr:gram_schmidt|qr_mgs|modified_gram_schmidt|orthonormalize⟧(⟦A⟧):\n    """⟦QR factorisation by modified Gram-Schmidt|Thin QR decomposition of a full-rank matrix|Orthonormalise the columns of A⟧."""\n    ⟦A⟧ = np.array(⟦A⟧, dtype=float)\n    m, ⟦N⟧ = ⟦A⟧.shape\n    Q = np.zeros((m, ⟦N⟧))\n    R = np.zeros((⟦N⟧, ⟦N⟧))\n    for ⟦K⟧ in range(⟦N⟧):\n        ⟦V⟧ = ⟦A⟧[:, ⟦K⟧]\n        for ⟦I⟧ in range(⟦K⟧):\n            R[⟦I⟧, ⟦K⟧] = Q[:, ⟦I⟧] @ ⟦V⟧\n            ⟦V⟧ = ⟦V⟧ - R[⟦I⟧, ⟦K⟧] * Q[:, ⟦I⟧]\n        R[⟦K⟧, ⟦K⟧] = np.linalg.norm(⟦V⟧)\n        Q[:, ⟦K⟧] = ⟦V⟧ / R[⟦K⟧, ⟦K⟧]\n    return Q, R',
        'def ⟦lagrange:lagrange_eval|interp_lagrange|lagrange|interpolate⟧(nodes, values, ⟦X⟧):\n    """⟦Evaluate the Lagrange interpolation polynomial at x|Polynomial interpolation in Lagrange form|Interpolate (nodes, values) and evaluate at x⟧."""\n    ⟦ACC⟧ = 0.0\n    for ⟦I⟧, (xi, yi) in enumerate(zip(nodes, values)):\n        basis = 1.0\n        for ⟦K⟧, xk in enumerate(nodes):\n            if ⟦K⟧ != ⟦I⟧:\n                basis *= (⟦X⟧ - xk) / (xi - xk)\n        ⟦ACC⟧ += yi * basis\n    return ⟦ACC⟧',
    ),
    "cpp": (
        "template <typename T>\nT ⟦dot:dot|inner_product_naive|dot_product|vdot⟧(const std::vector<T>& ⟦X⟧, const std::vector<T>& ⟦B⟧) {\n    T ⟦ACC⟧ = T(0);\n    for (std::size_t ⟦I⟧ = 0; ⟦I⟧ < ⟦X⟧.size(); ++⟦I⟧) {\n        ⟦ACC⟧ += ⟦X⟧[⟦I⟧] * ⟦B⟧[⟦I⟧];\n    }\n    return ⟦ACC⟧;\n}\n\ntemplate <typename T>\nvoid ⟦axpy:axpy|scaled_add|add_scaled|update_axpy⟧(T alpha, const std::vector<T>& ⟦X⟧, std::vector<T>& ⟦B⟧) {\n    for (std::size_t ⟦I⟧ = 0; ⟦I⟧ < ⟦X⟧.size(); ++⟦I⟧) {\n        ⟦B⟧[⟦I⟧] += alpha * ⟦X⟧[⟦I⟧];\n    }\n}",
        "struct ⟦csr:CsrMatrix|SparseCSR|CrsMatrix|Csr⟧ {\n    std::size_t ⟦N⟧;\n    std::vector<std::size_t> row_ptr;\n    std::vector<std::size_t> col;\n    std::vector<double> val;\n\n    // ⟦y = A * x|sparse matrix-vector product|one SpMV⟧\n    std::vector<double> multiply(const std::vector<double>& ⟦X⟧) const {\n        std::vector<double> out(⟦N⟧, 0.0);\n        for (std::size_t ⟦I⟧ = 0; ⟦I⟧ < ⟦N⟧; ++⟦I⟧) {\n            double ⟦ACC⟧ = 0.0;\n            for (std::size_t ⟦K⟧ = row_ptr[⟦I⟧]; ⟦K⟧ < row_ptr[⟦I⟧ + 1]; ++⟦K⟧) {\n                ⟦ACC⟧ += val[⟦K⟧] * ⟦X⟧[col[⟦K⟧]];\n            }\n            out[⟦I⟧] = ⟦ACC⟧;\n        }\n        return out;\n    }\n};",
        "// ⟦Thomas algorithm for a tridiagonal system|Tridiagonal solver (no pivoting)|Solve a tridiagonal system in O(n)⟧; sub, diag and sup are the three diagonals.\nstd::vector<double> ⟦thomas:thomas|solve_tridiagonal|tridiag_solve|tdma⟧(std::vector<double> sub, std::vector<double> diag,\n                          std::vector<double> sup, std::vector<double> ⟦B⟧) {\n    const std::size_t ⟦N⟧ = diag.size();\n    for (std::size_t ⟦I⟧ = 1; ⟦I⟧ < ⟦N⟧; ++⟦I⟧) {\n        const double w = sub[⟦I⟧] / diag[⟦I⟧ - 1];\n        diag[⟦I⟧] -= w * sup[⟦I⟧ - 1];\n        ⟦B⟧[⟦I⟧] -= w * ⟦B⟧[⟦I⟧ - 1];\n    }\n    std::vector<double> ⟦X⟧(⟦N⟧);\n    ⟦X⟧[⟦N⟧ - 1] = ⟦B⟧[⟦N⟧ - 1] / diag[⟦N⟧ - 1];\n    for (std::size_t ⟦I⟧ = ⟦N⟧ - 1; ⟦I⟧-- > 0;) {\n        ⟦X⟧[⟦I⟧] = (⟦B⟧[⟦I⟧] - sup[⟦I⟧] * ⟦X⟧[⟦I⟧ + 1]) / diag[⟦I⟧];\n    }\n    return ⟦X⟧;\n}",
        "template <typename Fn, typename Dfn>\ndouble ⟦newton:newton|newton_raphson|solve_newton|newton_root⟧(Fn ⟦F⟧, Dfn ⟦DF⟧, double ⟦X⟧, double ⟦TOL⟧ = ⟦tol⟧, int ⟦MAXIT⟧ = ⟦maxit⟧) {\n    for (int ⟦K⟧ = 0; ⟦K⟧ < ⟦MAXIT⟧; ++⟦K⟧) {\n        const double ⟦STEP⟧ = ⟦F⟧(⟦X⟧) / ⟦DF⟧(⟦X⟧);\n        ⟦X⟧ -= ⟦STEP⟧;\n        if (std::abs(⟦STEP⟧) < ⟦TOL⟧) {\n            return ⟦X⟧;\n        }\n    }\n    return ⟦X⟧;  // ⟦not converged|caller should check the residual|best effort⟧\n}",
        "template <typename Fn>\ndouble ⟦trap:trapezoid|integrate_trapezoid|trap_rule|trapz⟧(Fn ⟦F⟧, double ⟦LO⟧, double ⟦HI⟧, int ⟦N⟧ = ⟦n2⟧) {\n    const double ⟦H⟧ = (⟦HI⟧ - ⟦LO⟧) / ⟦N⟧;\n    double ⟦ACC⟧ = 0.5 * (⟦F⟧(⟦LO⟧) + ⟦F⟧(⟦HI⟧));\n    for (int ⟦I⟧ = 1; ⟦I⟧ < ⟦N⟧; ++⟦I⟧) {\n        ⟦ACC⟧ += ⟦F⟧(⟦LO⟧ + ⟦I⟧ * ⟦H⟧);\n    }\n    return ⟦ACC⟧ * ⟦H⟧;\n}",
        "using Matrix = std::vector<std::vector<double>>;\n\n// ⟦naive triple loop, i-k-j order for better locality|dense matrix product|C = A * B⟧\nMatrix ⟦matmul:matmul|multiply|mat_mul|gemm_naive⟧(const Matrix& ⟦A⟧, const Matrix& other) {\n    const std::size_t rows = ⟦A⟧.size(), inner = other.size(), cols = other[0].size();\n    Matrix out(rows, std::vector<double>(cols, 0.0));\n    for (std::size_t ⟦I⟧ = 0; ⟦I⟧ < rows; ++⟦I⟧) {\n        for (std::size_t ⟦K⟧ = 0; ⟦K⟧ < inner; ++⟦K⟧) {\n            const double aik = ⟦A⟧[⟦I⟧][⟦K⟧];\n            for (std::size_t col = 0; col < cols; ++col) {\n                out[⟦I⟧][col] += aik * other[⟦K⟧][col];\n            }\n        }\n    }\n    return out;\n}",
        "long long ⟦modpow:mod_pow|power_mod|modexp|pow_mod⟧(long long base, long long ⟦NN⟧, long long mod) {\n    long long ⟦ACC⟧ = 1 % mod;\n    base %= mod;\n    while (⟦NN⟧ > 0) {\n        if (⟦NN⟧ & 1) {\n            ⟦ACC⟧ = ⟦ACC⟧ * base % mod;\n        }\n        base = base * base % mod;\n        ⟦NN⟧ >>= 1;\n    }\n    return ⟦ACC⟧;\n}",
        "double ⟦norm:norm2|euclidean_norm|l2_norm|nrm2⟧(const std::vector<double>& ⟦X⟧) {\n    // ⟦scaled to avoid overflow for large entries|same scaling trick as the reference BLAS|robust against overflow and underflow⟧\n    double scale = 0.0, ssq = 1.0;\n    for (double xi : ⟦X⟧) {\n        if (xi != 0.0) {\n            const double ax = std::abs(xi);\n            if (scale < ax) {\n                ssq = 1.0 + ssq * (scale / ax) * (scale / ax);\n                scale = ax;\n            } else {\n                ssq += (ax / scale) * (ax / scale);\n            }\n        }\n    }\n    return scale * std::sqrt(ssq);\n}",
        "double ⟦secant:secant|secant_root|solve_secant|secant_method⟧(const std::function<double(double)>& ⟦F⟧, double x_prev, double ⟦X⟧,\n              double ⟦TOL⟧ = ⟦tol⟧, int ⟦MAXIT⟧ = ⟦maxit⟧) {\n    double f_prev = ⟦F⟧(x_prev);\n    for (int ⟦K⟧ = 0; ⟦K⟧ < ⟦MAXIT⟧; ++⟦K⟧) {\n        const double f_cur = ⟦F⟧(⟦X⟧);\n        const double ⟦STEP⟧ = f_cur * (⟦X⟧ - x_prev) / (f_cur - f_prev);\n        x_prev = ⟦X⟧;\n        f_prev = f_cur;\n        ⟦X⟧ -= ⟦STEP⟧;\n        if (std::abs(⟦STEP⟧) < ⟦TOL⟧) break;\n    }\n    return ⟦X⟧;\n}",
        "// ⟦Horner evaluation; coefficients from the highest degree down|evaluate a polynomial by nested multiplication|polynomial evaluation⟧\ndouble ⟦horner:horner|polyval|eval_poly|poly_eval⟧(const std::vector<double>& coeffs, double ⟦X⟧) {\n    double ⟦ACC⟧ = 0.0;\n    for (double c : coeffs) {\n        ⟦ACC⟧ = ⟦ACC⟧ * ⟦X⟧ + c;\n    }\n    return ⟦ACC⟧;\n}",
        "void ⟦gs:gauss_seidel|gs_sweep|seidel|gauss_seidel_sweeps⟧(const std::vector<std::vector<double>>& ⟦A⟧, const std::vector<double>& ⟦B⟧,\n                  std::vector<double>& ⟦X⟧, int sweeps = ⟦n2⟧) {\n    const std::size_t ⟦N⟧ = ⟦B⟧.size();\n    for (int sweep = 0; sweep < sweeps; ++sweep) {\n        for (std::size_t ⟦I⟧ = 0; ⟦I⟧ < ⟦N⟧; ++⟦I⟧) {\n            double ⟦ACC⟧ = ⟦B⟧[⟦I⟧];\n            for (std::size_t ⟦K⟧ = 0; ⟦K⟧ < ⟦N⟧; ++⟦K⟧) {\n                if (⟦K⟧ != ⟦I⟧) ⟦ACC⟧ -= ⟦A⟧[⟦I⟧][⟦K⟧] * ⟦X⟧[⟦K⟧];\n            }\n            ⟦X⟧[⟦I⟧] = ⟦ACC⟧ / ⟦A⟧[⟦I⟧][⟦I⟧];\n        }\n    }\n}",
    ),
    "matlab": (
        "function ⟦X⟧ = ⟦chebpts:chebpts|cheb_nodes|chebyshev_points|chebpoints⟧(⟦N⟧)\n%CHEBPTS  ⟦Chebyshev points of the second kind on [-1, 1]|Chebyshev extreme points|Chebyshev-Lobatto grid⟧.\n%   x = chebpts(n) returns n points, ordered from -1 to 1.\nif ⟦N⟧ == 1\n    ⟦X⟧ = 0;\n    return\nend\n⟦K⟧ = (⟦N⟧-1:-1:0).';\n⟦X⟧ = cos(pi*⟦K⟧/(⟦N⟧-1));\nend",
        "function ⟦ACC⟧ = ⟦trap:trapz_uniform|trapezoid|trap_rule|trapint⟧(⟦F⟧, ⟦LO⟧, ⟦HI⟧, ⟦N⟧)\n%TRAPEZOID  ⟦Composite trapezoidal rule with n subintervals|Trapezoidal quadrature|Approximate the integral of f over [a, b]⟧.\n⟦H⟧ = (⟦HI⟧ - ⟦LO⟧)/⟦N⟧;\nnodes = ⟦LO⟧ + ⟦H⟧*(0:⟦N⟧);\nvals = ⟦F⟧(nodes);\n⟦ACC⟧ = ⟦H⟧*(sum(vals) - (vals(1) + vals(end))/2);\nend",
        "function ⟦X⟧ = ⟦newton:newton|newton_solve|find_root|newtonroot⟧(⟦F⟧, ⟦DF⟧, ⟦X0⟧, ⟦TOL⟧)\n%NEWTON  ⟦Newton's method for a scalar equation f(x) = 0|Newton iteration|Solve f(x) = 0 by Newton's method⟧.\nif nargin < 4\n    ⟦TOL⟧ = ⟦tol⟧;\nend\n⟦X⟧ = ⟦X0⟧;\nfor ⟦K⟧ = 1:⟦maxit⟧\n    ⟦STEP⟧ = ⟦F⟧(⟦X⟧)/⟦DF⟧(⟦X⟧);\n    ⟦X⟧ = ⟦X⟧ - ⟦STEP⟧;\n    if abs(⟦STEP⟧) < ⟦TOL⟧\n        return\n    end\nend\nwarning('⟦Newton iteration did not converge|no convergence after maxit steps|iteration limit reached⟧');\nend",
        "function ⟦X⟧ = ⟦jacobi:jacobi|jacobi_solve|jacobi_iter|jacobisolve⟧(⟦A⟧, ⟦B⟧, ⟦TOL⟧, ⟦MAXIT⟧)\n%JACOBI  ⟦Jacobi iteration for A*x = b|Point Jacobi method|Jacobi solver for diagonally dominant systems⟧.\nd = diag(⟦A⟧);\noff = ⟦A⟧ - diag(d);\n⟦X⟧ = zeros(size(⟦B⟧));\nfor ⟦K⟧ = 1:⟦MAXIT⟧\n    xnew = (⟦B⟧ - off*⟦X⟧)./d;\n    if norm(xnew - ⟦X⟧, inf) < ⟦TOL⟧\n        ⟦X⟧ = xnew;\n        return\n    end\n    ⟦X⟧ = xnew;\nend\nend",
        "% ⟦Convergence of the trapezoidal rule for exp(x) on [0, 1]|Error of the trapezoidal rule as the grid is refined|Check the second order convergence of the trapezoidal rule⟧\n⟦F⟧ = @(t) exp(t);\nexact = exp(1) - 1;\n⟦N⟧ = 2.^(1:⟦n⟧+4);\nerr = zeros(size(⟦N⟧));\nfor ⟦K⟧ = 1:numel(⟦N⟧)\n    err(⟦K⟧) = abs(trapezoid(⟦F⟧, 0, 1, ⟦N⟧(⟦K⟧)) - exact);\nend\nloglog(⟦N⟧, err, 'o-'), grid on\nxlabel('⟦number of subintervals|n|panels⟧'), ylabel('error')\ntitle('⟦Trapezoidal rule: second order convergence|Trapezoidal rule error|Convergence study⟧')",
        "% ⟦Solve the Van der Pol equation with ode45|Van der Pol oscillator|Limit cycle of the Van der Pol equation⟧\n⟦LAM⟧ = ⟦n⟧;\nrhs = @(t, y) [y(2); ⟦LAM⟧*(1 - y(1)^2)*y(2) - y(1)];\n[t, y] = ode45(rhs, [0 ⟦n2⟧], [2; 0]);\nplot(t, y(:,1), 'LineWidth', 1.5)\nxlabel('t'), ylabel('y_1')\ntitle(sprintf('Van der Pol oscillator, mu = %g', ⟦LAM⟧))",
        "% ⟦Least-squares fit of a polynomial|Polynomial fit to noisy samples|Fit a low-degree polynomial by least squares⟧ of degree ⟦deg:2|3|4|5⟧\n⟦X⟧ = linspace(0, 1, ⟦n2⟧)';\n⟦B⟧ = sin(2*pi*⟦X⟧) + 0.05*randn(size(⟦X⟧));\nV = ⟦X⟧.^(0:⟦deg⟧);\ncoef = V \\ ⟦B⟧;\nxx = linspace(0, 1, 200)';\nplot(⟦X⟧, ⟦B⟧, 'o', xx, (xx.^(0:⟦deg⟧))*coef, '-')\nlegend('⟦data|samples|measurements⟧', '⟦fit|least squares|model⟧')",
        "function ⟦X⟧ = ⟦secant:secant|secant_root|secantsolve|secant_method⟧(⟦F⟧, x_prev, ⟦X0⟧, ⟦TOL⟧)\n%SECANT  ⟦Secant method for f(x) = 0|Derivative-free root finding|Secant iteration⟧.\n⟦X⟧ = ⟦X0⟧;\nf_prev = ⟦F⟧(x_prev);\nfor ⟦K⟧ = 1:⟦maxit⟧\n    f_cur = ⟦F⟧(⟦X⟧);\n    ⟦STEP⟧ = f_cur*(⟦X⟧ - x_prev)/(f_cur - f_prev);\n    x_prev = ⟦X⟧;\n    f_prev = f_cur;\n    ⟦X⟧ = ⟦X⟧ - ⟦STEP⟧;\n    if abs(⟦STEP⟧) < ⟦TOL⟧, return, end\nend\nend",
        "function ⟦ACC⟧ = ⟦simpson:simpson|simpson_rule|simpint|composite_simpson⟧(⟦F⟧, ⟦LO⟧, ⟦HI⟧, ⟦N⟧)\n%SIMPSON  ⟦Composite Simpson rule; n is rounded up to an even number|Simpson quadrature|Fourth order quadrature on a uniform grid⟧.\n⟦N⟧ = ⟦N⟧ + mod(⟦N⟧, 2);\n⟦H⟧ = (⟦HI⟧ - ⟦LO⟧)/⟦N⟧;\nvals = ⟦F⟧(⟦LO⟧ + ⟦H⟧*(0:⟦N⟧));\n⟦ACC⟧ = ⟦H⟧/3*(vals(1) + vals(end) + 4*sum(vals(2:2:end-1)) + 2*sum(vals(3:2:end-2)));\nend",
        "function [⟦LAM⟧, ⟦V⟧] = ⟦power:power_method|powerit|dominant_eig|power_iteration⟧(⟦A⟧, ⟦MAXIT⟧)\n%POWER_METHOD  ⟦Largest eigenvalue in modulus by power iteration|Power iteration|Dominant eigenpair of A⟧.\n⟦V⟧ = ones(size(⟦A⟧, 1), 1)/sqrt(size(⟦A⟧, 1));\n⟦LAM⟧ = 0;\nfor ⟦K⟧ = 1:⟦MAXIT⟧\n    w = ⟦A⟧*⟦V⟧;\n    ⟦V⟧ = w/norm(w);\n    ⟦LAM⟧ = ⟦V⟧'*⟦A⟧*⟦V⟧;\nend\nend",
    ),
    "lean": (
        "theorem ⟦addc:my_add_comm|add_comm'|add_comm_ex|nat_add_comm'⟧ (⟦NN⟧ m : ℕ) : ⟦NN⟧ + m = m + ⟦NN⟧ := by\n  induction m with\n  | zero => simp\n  | succ k ih => omega",
        "def ⟦fib:fib|fibonacci|F|fibo⟧ : ℕ → ℕ\n  | 0 => 0\n  | 1 => 1\n  | (n + 2) => ⟦fib⟧ n + ⟦fib⟧ (n + 1)\n\nexample : ⟦fib⟧ ⟦n⟧ = ⟦fibval⟧ := by\n  decide\n\ntheorem ⟦fib⟧_pos {n : ℕ} (h : 0 < n) : 0 < ⟦fib⟧ n := by\n  induction n using Nat.strong_induction_on with\n  | _ n ih =>\n    match n, h with\n    | 1, _ => decide\n    | 2, _ => decide\n    | (k + 3), _ =>\n      have := ih (k + 2) (by omega) (by omega)\n      simp only [⟦fib⟧]\n      omega",
        "theorem ⟦gauss:sum_range_id|gauss_sum|sum_first_n|two_mul_sum_range⟧ (⟦NN⟧ : ℕ) :\n    2 * (Finset.range (⟦NN⟧ + 1)).sum id = ⟦NN⟧ * (⟦NN⟧ + 1) := by\n  induction ⟦NN⟧ with\n  | zero => simp\n  | succ k ih =>\n    rw [Finset.sum_range_succ, mul_add, ih]\n    simp\n    ring",
        "theorem ⟦even:even_mul_succ|even_n_mul_succ|mul_succ_even|even_consecutive⟧ (⟦NN⟧ : ℕ) : Even (⟦NN⟧ * (⟦NN⟧ + 1)) := by\n  exact Nat.even_mul_succ_self ⟦NN⟧\n\nexample (a b : ℕ) (h₁ : a ≤ b) (h₂ : b ≤ ⟦n2⟧) : a ≤ ⟦n2⟧ := by\n  omega",
        "theorem ⟦lenapp:length_append'|len_append|list_length_append|length_app⟧ {α : Type} (⟦XS⟧ ys : List α) :\n    (⟦XS⟧ ++ ys).length = ⟦XS⟧.length + ys.length := by\n  induction ⟦XS⟧ with\n  | nil => simp\n  | cons x rest ih => simp [ih]; omega",
        "lemma ⟦sq:sq_nonneg'|square_nonneg|sq_ge_zero|pow_two_nonneg'⟧ (x : ℝ) : 0 ≤ x ^ 2 := by\n  positivity\n\nlemma ⟦amgm:two_mul_le_add_sq'|amgm_two|am_gm_two|two_ab_le⟧ (a b : ℝ) : 2 * a * b ≤ a ^ 2 + b ^ 2 := by\n  nlinarith [sq_nonneg (a - b)]",
        "structure ⟦pt:Point|Vec2|P2|Pt⟧ where\n  x : ℤ\n  y : ℤ\n  deriving Repr, DecidableEq\n\ndef ⟦pt⟧.add (p q : ⟦pt⟧) : ⟦pt⟧ := ⟨p.x + q.x, p.y + q.y⟩\n\ntheorem ⟦pt⟧.add_comm' (p q : ⟦pt⟧) : p.add q = q.add p := by\n  simp [⟦pt⟧.add, Int.add_comm]",
        "def ⟦sumto:sumTo|sumUpTo|triangular|tri⟧ : ℕ → ℕ\n  | 0 => 0\n  | n + 1 => (n + 1) + ⟦sumto⟧ n\n\ntheorem ⟦sumto⟧_eq (⟦NN⟧ : ℕ) : 2 * ⟦sumto⟧ ⟦NN⟧ = ⟦NN⟧ * (⟦NN⟧ + 1) := by\n  induction ⟦NN⟧ with\n  | zero => rfl\n  | succ k ih =>\n    simp only [⟦sumto⟧]\n    rw [mul_add, ih]\n    ring",
        "theorem ⟦powge:two_pow_ge|pow_two_ge_succ|lt_two_pow'|two_pow_bound⟧ (⟦NN⟧ : ℕ) : ⟦NN⟧ + 1 ≤ 2 ^ ⟦NN⟧ := by\n  induction ⟦NN⟧ with\n  | zero => simp\n  | succ k ih =>\n    rw [pow_succ]\n    omega",
        "def ⟦rev:myReverse|rev|reverseAux'|revList⟧ {α : Type} : List α → List α\n  | [] => []\n  | x :: rest => ⟦rev⟧ rest ++ [x]\n\ntheorem ⟦rev⟧_length {α : Type} (⟦XS⟧ : List α) : (⟦rev⟧ ⟦XS⟧).length = ⟦XS⟧.length := by\n  induction ⟦XS⟧ with\n  | nil => rfl\n  | cons x rest ih => simp [⟦rev⟧, ih]",
    ),
    "coq": (
        "Fixpoint ⟦sumto:sum_to|sumn|gauss|triangle⟧ (⟦NN⟧ : nat) : nat :=\n  match ⟦NN⟧ with\n  | 0 => 0\n  | S k => ⟦NN⟧ + ⟦sumto⟧ k\n  end.\n\nLemma ⟦sumto⟧_formula : forall ⟦NN⟧, 2 * ⟦sumto⟧ ⟦NN⟧ = ⟦NN⟧ * (⟦NN⟧ + 1).\nProof.\n  induction ⟦NN⟧ as [| k IH]; simpl.\n  - reflexivity.\n  - lia.\nQed.",
        "Lemma ⟦revinv:rev_involutive'|rev_rev|rev_twice|rev_rev_id⟧ : forall (A : Type) (⟦XS⟧ : list A), rev (rev ⟦XS⟧) = ⟦XS⟧.\nProof.\n  intros A ⟦XS⟧. induction ⟦XS⟧ as [| x rest IH].\n  - reflexivity.\n  - simpl. rewrite rev_app_distr. simpl. rewrite IH. reflexivity.\nQed.",
        "Inductive ⟦ev:ev|even_ind|is_even|evn⟧ : nat -> Prop :=\n  | ev_0 : ⟦ev⟧ 0\n  | ev_SS : forall ⟦NN⟧, ⟦ev⟧ ⟦NN⟧ -> ⟦ev⟧ (S (S ⟦NN⟧)).\n\nLemma ⟦ev⟧_double : forall ⟦NN⟧, ⟦ev⟧ (⟦NN⟧ + ⟦NN⟧).\nProof.\n  induction ⟦NN⟧ as [| k IH].\n  - constructor.\n  - replace (S k + S k) with (S (S (k + k))) by lia.\n    constructor. exact IH.\nQed.",
        "Lemma ⟦leq:leq_add2l'|add_leq_mono|leq_addl2|leq_add2l_ex⟧ (p m ⟦NN⟧ : nat) : (p + m <= p + ⟦NN⟧) = (m <= ⟦NN⟧).\nProof. by elim: p => //= p IHp; rewrite !addSn ltnS. Qed.\n\nLemma ⟦exname:add_comm_ex|addnC_example|swap_example|addn_swap⟧ : ⟦n⟧ + ⟦n2⟧ = ⟦n2⟧ + ⟦n⟧.\nProof. by rewrite addnC. Qed.",
        "Fixpoint ⟦fact:fact|factorial|fac|fakt⟧ (⟦NN⟧ : nat) : nat :=\n  match ⟦NN⟧ with\n  | 0 => 1\n  | S k => ⟦NN⟧ * ⟦fact⟧ k\n  end.\n\nLemma ⟦fact⟧_pos : forall ⟦NN⟧, 0 < ⟦fact⟧ ⟦NN⟧.\nProof.\n  induction ⟦NN⟧ as [| k IH]; simpl; lia.\nQed.\n\nExample ⟦fact⟧_⟦n⟧ : ⟦fact⟧ ⟦n⟧ = ⟦factval⟧.\nProof. reflexivity. Qed.",
        "Fixpoint ⟦cnt:count_occ'|occurrences|count|occ⟧ (x : nat) (⟦XS⟧ : list nat) : nat :=\n  match ⟦XS⟧ with\n  | [] => 0\n  | y :: rest => (if Nat.eqb x y then 1 else 0) + ⟦cnt⟧ x rest\n  end.\n\nLemma ⟦cnt⟧_app : forall x l1 l2, ⟦cnt⟧ x (l1 ++ l2) = ⟦cnt⟧ x l1 + ⟦cnt⟧ x l2.\nProof.\n  intros x l1 l2. induction l1 as [| y rest IH]; simpl.\n  - reflexivity.\n  - rewrite IH. lia.\nQed.",
        "Fixpoint ⟦pow2:pow2|two_pow|exp2|twice_pow⟧ (⟦NN⟧ : nat) : nat :=\n  match ⟦NN⟧ with\n  | 0 => 1\n  | S k => 2 * ⟦pow2⟧ k\n  end.\n\nLemma ⟦pow2⟧_pos : forall ⟦NN⟧, 0 < ⟦pow2⟧ ⟦NN⟧.\nProof. induction ⟦NN⟧; simpl; lia. Qed.\n\nLemma ⟦pow2⟧_ge : forall ⟦NN⟧, S ⟦NN⟧ <= ⟦pow2⟧ ⟦NN⟧.\nProof. induction ⟦NN⟧; simpl; lia. Qed.",
        "Lemma ⟦appnil:app_nil_r'|app_nil_end'|append_nil|app_nil⟧ : forall (A : Type) (⟦XS⟧ : list A), ⟦XS⟧ ++ [] = ⟦XS⟧.\nProof.\n  intros A ⟦XS⟧. induction ⟦XS⟧ as [| x rest IH]; simpl.\n  - reflexivity.\n  - rewrite IH. reflexivity.\nQed.\n\nLemma ⟦maplen:map_length'|length_map'|map_len|len_map⟧ : forall (A B : Type) (f : A -> B) (⟦XS⟧ : list A),\n  length (map f ⟦XS⟧) = length ⟦XS⟧.\nProof.\n  intros A B f ⟦XS⟧. induction ⟦XS⟧ as [| x rest IH]; simpl; auto.\nQed.",
        "Definition ⟦sq:square|sq|sqr|squared⟧ (⟦NN⟧ : nat) : nat := ⟦NN⟧ * ⟦NN⟧.\n\nLemma ⟦sq⟧_mono : forall m ⟦NN⟧, m <= ⟦NN⟧ -> ⟦sq⟧ m <= ⟦sq⟧ ⟦NN⟧.\nProof.\n  intros m ⟦NN⟧ H. unfold ⟦sq⟧. apply Nat.mul_le_mono; exact H.\nQed.\n\nExample ⟦sq⟧_⟦n⟧ : ⟦sq⟧ ⟦n⟧ = ⟦sqval⟧.\nProof. reflexivity. Qed.",
    ),
}

CODE_LANG_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("python", 30),
    ("cpp", 22),
    ("matlab", 20),
    ("lean", 15),
    ("coq", 13),
)


# ---------------------------------------------------------------------------------------------
# Math questions and answers (lemma). Each maker draws its own numbers and returns
# (question, answer); the answers are computed, so they are correct.
# ---------------------------------------------------------------------------------------------

LEMMA_INTROS: tuple[str, ...] = (
    "I am working through the exercises in my calculus book and got stuck on this one.",
    "This came up while I was preparing for an exam.",
    "I have a feeling this should be easy, but I cannot see how to start.",
    "Our teacher gave us this problem as homework.",
    "I tried several approaches without success.",
    "Could someone check my reasoning on the following?",
    "Here is a question from an old qualifying exam.",
    "I would like to understand the standard method for this kind of problem.",
    "",
    "",
    "",
)

LEMMA_OUTROS: tuple[str, ...] = (
    "Any hint would be appreciated.",
    "Thanks in advance!",
    "Is there a quicker way to see this?",
    "I would be grateful for a step-by-step explanation.",
    "What am I missing?",
    "",
    "",
    "",
)


def _poly(coeffs: list[int], var: str = "x") -> str:
    """LaTeX for sum(c_k var^k), coefficients listed from the highest degree down."""
    deg = len(coeffs) - 1
    parts: list[str] = []
    for i, c in enumerate(coeffs):
        k = deg - i
        if c == 0:
            continue
        mag = abs(c)
        mono = var if k == 1 else (f"{var}^{{{k}}}" if k > 1 else "")
        coef = "" if (mag == 1 and k > 0) else str(mag)
        term = f"{coef}{mono}"
        if not parts:
            parts.append(f"-{term}" if c < 0 else term)
        else:
            parts.append(f"{'-' if c < 0 else '+'} {term}")
    return " ".join(parts) if parts else "0"


def _frac(p: int, q: int) -> str:
    g = gcd(p, q)
    p, q = p // g, q // g
    if q < 0:
        p, q = -p, -q
    if q == 1:
        return str(p)
    sign = "-" if p < 0 else ""
    return f"{sign}\\frac{{{abs(p)}}}{{{q}}}"


def q_derivative(rng: random.Random) -> tuple[str, str]:
    deg = rng.randint(2, 5)
    coeffs = [rng.randint(1, 9)] + [rng.randint(-9, 9) for _ in range(deg)]
    d = [c * (deg - i) for i, c in enumerate(coeffs[:-1])]
    x0 = rng.randint(-3, 3)
    val = sum(c * x0 ** (len(d) - 1 - i) for i, c in enumerate(d))
    q = rng.choice(
        (
            f"Find the derivative of $f(x) = {_poly(coeffs)}$ and evaluate it at $x = {x0}$.",
            f"Let $f(x) = {_poly(coeffs)}$. What is $f'({x0})$?",
        )
    )
    a = (
        f"Differentiate term by term using $(x^n)' = n x^{{n-1}}$: "
        f"$$f'(x) = {_poly(d)}.$$ Substituting $x = {x0}$ gives $f'({x0}) = {val}$."
    )
    return q, a


def q_integral(rng: random.Random) -> tuple[str, str]:
    n = rng.randint(1, 6)
    a_, b_ = rng.randint(0, 2), rng.randint(3, 5)
    c = rng.randint(1, 6)
    num = c * (b_ ** (n + 1) - a_ ** (n + 1))
    q = rng.choice(
        (
            f"Compute $\\displaystyle\\int_{{{a_}}}^{{{b_}}} {c if c > 1 else ''}x^{{{n}}}\\,dx$.",
            f"Evaluate the definite integral of ${c if c > 1 else ''}x^{{{n}}}$ from ${a_}$ to ${b_}$.",
        )
    )
    a = (
        f"An antiderivative of ${c if c > 1 else ''}x^{{{n}}}$ is ${_frac(c, n + 1)}x^{{{n + 1}}}$. By the fundamental theorem of calculus,"
        f" $$\\int_{{{a_}}}^{{{b_}}} {c if c > 1 else ''}x^{{{n}}}\\,dx = {_frac(c, n + 1)}\\left({b_}^{{{n + 1}}} - {a_}^{{{n + 1}}}\\right) = {_frac(num, n + 1)}.$$"
    )
    return q, a


def q_quadratic(rng: random.Random) -> tuple[str, str]:
    r1, r2 = rng.randint(-9, 9), rng.randint(-9, 9)
    k = rng.choice((1, 1, 2, 3))
    b, c = -k * (r1 + r2), k * r1 * r2
    disc = b * b - 4 * k * c
    q = rng.choice(
        (
            f"Solve the equation ${_poly([k, b, c])} = 0$.",
            f"Find all real roots of ${_poly([k, b, c])} = 0$.",
        )
    )
    roots = sorted({r1, r2})
    rs = " and ".join(f"$x = {r}$" for r in roots)
    a = (
        f"The discriminant is $D = ({b})^2 - 4\\cdot {k}\\cdot ({c}) = {disc}$, so by the quadratic formula"
        f" $x = \\frac{{{-b} \\pm \\sqrt{{{disc}}}}}{{{2 * k}}}$. The solutions are {rs}."
    )
    if r1 == r2:
        a += " Since $D = 0$ the root is double."
    return q, a


def q_gcd(rng: random.Random) -> tuple[str, str]:
    g = rng.randint(2, 30)
    a_, b_ = g * rng.randint(5, 60), g * rng.randint(5, 60)
    if a_ < b_:
        a_, b_ = b_, a_
    steps = []
    x, y = a_, b_
    while y:
        steps.append(f"{x} = {x // y}\\cdot {y} + {x % y}")
        x, y = y, x % y
    q = rng.choice(
        (
            f"Use the Euclidean algorithm to find $\\gcd({a_}, {b_})$.",
            f"What is the greatest common divisor of ${a_}$ and ${b_}$?",
        )
    )
    a = (
        "Apply the Euclidean algorithm: $$"
        + ",\\quad ".join(steps)
        + f".$$ The last non-zero remainder is ${x}$, so $\\gcd({a_}, {b_}) = {x}$."
    )
    return q, a


def q_arith_series(rng: random.Random) -> tuple[str, str]:
    a1, d, n = rng.randint(-10, 20), rng.randint(2, 9), rng.randint(10, 80)
    an = a1 + (n - 1) * d
    s = n * (a1 + an) // 2
    q = rng.choice(
        (
            f"An arithmetic progression has first term ${a1}$ and common difference ${d}$. Find the sum of its first ${n}$ terms.",
            f"Compute $\\sum_{{k=0}}^{{{n - 1}}} ({a1} + {d}k)$.",
        )
    )
    a = f"The last term is $a_{{{n}}} = {a1} + {n - 1}\\cdot {d} = {an}$. The sum of an arithmetic progression is $S_n = \\frac{{n(a_1 + a_n)}}{{2}}$, so $S_{{{n}}} = \\frac{{{n}({a1} + {an})}}{{2}} = {s}$."
    return q, a


def q_geometric(rng: random.Random) -> tuple[str, str]:
    r_num, r_den = rng.choice(((1, 2), (1, 3), (2, 3), (1, 4), (3, 4), (2, 5), (1, 5)))
    a1 = rng.randint(1, 12)
    q = rng.choice(
        (
            f"Find the sum of the infinite geometric series ${a1} + {a1}\\cdot{_frac(r_num, r_den)} + {a1}\\cdot\\left({_frac(r_num, r_den)}\\right)^2 + \\cdots$.",
            f"Does $\\sum_{{n=0}}^\\infty {a1}\\left({_frac(r_num, r_den)}\\right)^n$ converge? If so, find its value.",
        )
    )
    a = f"The ratio is $r = {_frac(r_num, r_den)}$ and $|r| < 1$, so the series converges and $$\\sum_{{n=0}}^\\infty {a1} r^n = \\frac{{{a1}}}{{1 - r}} = {_frac(a1 * r_den, r_den - r_num)}.$$"
    return q, a


def q_limit(rng: random.Random) -> tuple[str, str]:
    a_, b_ = rng.randint(2, 12), rng.randint(2, 12)
    fn = rng.choice(("\\sin", "\\tan"))
    q = rng.choice(
        (
            f"Evaluate $\\displaystyle\\lim_{{x\\to 0}} \\frac{{{fn}({a_}x)}}{{{b_}x}}$.",
            f"How do I compute $\\lim_{{x\\to 0}} {fn}({a_}x)/({b_}x)$ without L'H\\^opital's rule?",
        )
    )
    a = f"Write $\\frac{{{fn}({a_}x)}}{{{b_}x}} = \\frac{{{a_}}}{{{b_}}}\\cdot\\frac{{{fn}({a_}x)}}{{{a_}x}}$. Since $\\lim_{{t\\to 0}} {fn}(t)/t = 1$, the limit equals ${_frac(a_, b_)}$."
    return q, a


def q_det(rng: random.Random) -> tuple[str, str]:
    m = [[rng.randint(-6, 9) for _ in range(3)] for _ in range(3)]
    (a, b, c), (d, e, f), (g, h, i) = m
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    mat = (
        "\\begin{pmatrix}"
        + "\\\\ ".join(" & ".join(str(v) for v in row) for row in m)
        + "\\end{pmatrix}"
    )
    q = rng.choice(
        (f"Compute the determinant of $$A = {mat}.$$", f"Is the matrix $$A = {mat}$$ invertible?")
    )
    a, b, c, d, e, f, g, h, i = (f"({v})" if v < 0 else str(v) for row in m for v in row)
    ans = f"Expanding along the first row, $$\\det A = {a}({e}\\cdot{i} - {f}\\cdot{h}) - {b}({d}\\cdot{i} - {f}\\cdot{g}) + {c}({d}\\cdot{h} - {e}\\cdot{g}) = {det}.$$"
    ans += (
        " Since the determinant is non-zero, $A$ is invertible."
        if det
        else " Since the determinant is zero, $A$ is singular."
    )
    return q, ans


def q_eigen(rng: random.Random) -> tuple[str, str]:
    a, b = rng.randint(-5, 9), rng.randint(1, 7)
    q = rng.choice(
        (
            f"Find the eigenvalues and eigenvectors of $\\begin{{pmatrix}}{a} & {b}\\\\ {b} & {a}\\end{{pmatrix}}$.",
            f"Diagonalise the symmetric matrix $\\begin{{pmatrix}}{a} & {b}\\\\ {b} & {a}\\end{{pmatrix}}$.",
        )
    )
    ans = (
        f"The characteristic polynomial is $(\\lambda - {a})^2 - {b * b} = 0$, so $\\lambda = {a} \\pm {b}$, i.e. $\\lambda_1 = {a + b}$ and $\\lambda_2 = {a - b}$."
        f" The eigenvectors are $(1, 1)^\\top$ for $\\lambda_1$ and $(1, -1)^\\top$ for $\\lambda_2$; they are orthogonal, as expected for a symmetric matrix."
    )
    return q, ans


def q_dice(rng: random.Random) -> tuple[str, str]:
    s = rng.randint(3, 11)
    ways = [(i, s - i) for i in range(1, 7) if 1 <= s - i <= 6]
    q = rng.choice(
        (
            f"Two fair dice are rolled. What is the probability that the sum of the numbers shown is ${s}$?",
            f"If I throw two ordinary dice, how likely is a total of ${s}$?",
        )
    )
    listing = ", ".join(f"({i},{j})" for i, j in ways)
    ans = f"There are $36$ equally likely outcomes. The favourable ones are {listing}, which is ${len(ways)}$ outcomes. Hence the probability is ${_frac(len(ways), 36)}$."
    return q, ans


def q_binomial(rng: random.Random) -> tuple[str, str]:
    n, k = rng.randint(6, 20), rng.randint(2, 5)
    what = rng.choice(("a committee", "a team", "a study group", "a jury"))
    q = rng.choice(
        (
            f"In how many ways can {what} of ${k}$ people be chosen from ${n}$ candidates?",
            f"How many ${k}$-element subsets does a set with ${n}$ elements have?",
        )
    )
    ans = f"The order does not matter, so the answer is the binomial coefficient $$\\binom{{{n}}}{{{k}}} = \\frac{{{n}!}}{{{k}!\\,{n - k}!}} = {comb(n, k)}.$$"
    return q, ans


def q_modpow(rng: random.Random) -> tuple[str, str]:
    base, e, m = rng.randint(2, 19), rng.randint(20, 500), rng.choice((7, 11, 13, 17, 19, 23))
    if base % m == 0:
        base += 1
    r = pow(base, e, m)
    q = rng.choice(
        (
            f"Find the remainder when ${base}^{{{e}}}$ is divided by ${m}$.",
            f"Compute ${base}^{{{e}}} \\bmod {m}$.",
        )
    )
    ans = (
        f"Since ${m}$ is prime and does not divide ${base}$, Fermat's little theorem gives ${base}^{{{m - 1}}}\\equiv 1 \\pmod{{{m}}}$."
        f" Now ${e} = {e // (m - 1)}\\cdot {m - 1} + {e % (m - 1)}$, so ${base}^{{{e}}} \\equiv {base}^{{{e % (m - 1)}}} \\equiv {r} \\pmod{{{m}}}$."
    )
    return q, ans


def q_linear_system(rng: random.Random) -> tuple[str, str]:
    while True:
        x, y = rng.randint(-9, 9), rng.randint(-9, 9)
        a, b, c, d = (rng.randint(-6, 6) for _ in range(4))
        det = a * d - b * c
        if det and a and d:
            break
    e, f = a * x + b * y, c * x + d * y
    q = rng.choice(
        (
            f"Solve the system $${a}x + ({b})y = {e},\\qquad {c}x + ({d})y = {f}.$$",
            f"Find $x$ and $y$ such that ${a}x + ({b})y = {e}$ and ${c}x + ({d})y = {f}$.",
        )
    )
    ans = (
        f"The determinant of the system is ${a}\\cdot({d}) - ({b})\\cdot {c} = {det} \\neq 0$, so there is a unique solution."
        f" By Cramer's rule $x = \\frac{{{e}\\cdot({d}) - ({b})\\cdot {f}}}{{{det}}} = {x}$ and $y = \\frac{{{a}\\cdot {f} - {e}\\cdot {c}}}{{{det}}} = {y}$."
    )
    return q, ans


def q_complex(rng: random.Random) -> tuple[str, str]:
    a, b, c = rng.choice(
        ((3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25), (6, 8, 10), (9, 12, 15), (20, 21, 29))
    )
    sa, sb = rng.choice((1, -1)), rng.choice((1, -1))
    z = f"{sa * a} {'+' if sb > 0 else '-'} {b}i"
    q = rng.choice(
        (f"What is the modulus of $z = {z}$?", f"Find $|z|$ and $z\\bar z$ for $z = {z}$.")
    )
    ans = f"For $z = a + bi$ we have $|z| = \\sqrt{{a^2 + b^2}}$. Here $|z| = \\sqrt{{{a * a} + {b * b}}} = \\sqrt{{{c * c}}} = {c}$, and $z\\bar z = |z|^2 = {c * c}$."
    return q, ans


def q_log(rng: random.Random) -> tuple[str, str]:
    b, n, k = rng.randint(2, 7), rng.randint(2, 5), rng.randint(1, 9)
    val = b**n
    q = rng.choice(
        (
            f"Solve $\\log_{{{b}}}(x - {k}) = {n}$.",
            f"For which real $x$ does $\\log_{{{b}}}(x - {k}) = {n}$ hold?",
        )
    )
    ans = f"By definition of the logarithm, $x - {k} = {b}^{{{n}}} = {val}$, hence $x = {val + k}$. This value satisfies $x - {k} > 0$, so it is in the domain."
    return q, ans


def q_induction(rng: random.Random) -> tuple[str, str]:
    kind = rng.randint(0, 3)
    n0 = rng.randint(1, 3)
    if kind == 0:
        st = "1 + 3 + 5 + \\cdots + (2n-1) = n^2"
        step = "Assume the identity for $n$. Then $1 + 3 + \\cdots + (2n-1) + (2n+1) = n^2 + 2n + 1 = (n+1)^2$"
    elif kind == 1:
        st = "1 + 2 + \\cdots + n = \\frac{n(n+1)}{2}"
        step = "Assume it holds for $n$. Adding $n+1$ to both sides gives $\\frac{n(n+1)}{2} + (n+1) = \\frac{(n+1)(n+2)}{2}$"
    elif kind == 2:
        st = "6 \\mid n^3 - n"
        step = "Note that $(n+1)^3 - (n+1) = (n^3 - n) + 3n(n+1)$, and $n(n+1)$ is even, so $3n(n+1)$ is divisible by $6$"
    else:
        st = "2^n \\ge n + 1"
        step = "If $2^n \\ge n + 1$, then $2^{n+1} = 2\\cdot 2^n \\ge 2n + 2 \\ge n + 2$"
    q = rng.choice(
        (
            f"Prove by induction that ${st}$ for all integers $n \\ge {n0}$.",
            f"How can I show that ${st}$ holds for every $n \\ge {n0}$?",
        )
    )
    ans = f"We use induction on $n$. For $n = {n0}$ the statement is checked directly. {step}, which is the statement for $n+1$. This completes the induction."
    return q, ans


def q_parts(rng: random.Random) -> tuple[str, str]:
    a = rng.randint(2, 9)
    fn, anti, sign = rng.choice(
        (("e^{%dx}", "\\frac{1}{%d}e^{%dx}", "-"), ("\\cos(%dx)", "\\frac{1}{%d}\\sin(%dx)", "-"))
    )
    f = fn % a
    g = anti % (a, a)
    q = rng.choice(
        (f"Compute $\\displaystyle\\int x\\,{f}\\,dx$.", f"Find an antiderivative of $x{f}$.")
    )
    if fn.startswith("e"):
        res = f"\\frac{{x}}{{{a}}}e^{{{a}x}} - \\frac{{1}}{{{a * a}}}e^{{{a}x}} + C"
    else:
        res = f"\\frac{{x}}{{{a}}}\\sin({a}x) + \\frac{{1}}{{{a * a}}}\\cos({a}x) + C"
    ans = f"Integrate by parts with $u = x$ and $dv = {f}\\,dx$, so $du = dx$ and $v = {g}$. Then $$\\int x\\,{f}\\,dx = x\\cdot {g} {sign} \\int {g}\\,dx = {res}.$$"
    return q, ans


def q_triangle(rng: random.Random) -> tuple[str, str]:
    pts = [(rng.randint(-8, 8), rng.randint(-8, 8)) for _ in range(3)]
    (x1, y1), (x2, y2), (x3, y3) = pts
    twice = x1 * (y2 - y3) + x2 * (y3 - y1) + x3 * (y1 - y2)
    if twice == 0:
        x3 += 1
        twice = x1 * (y2 - y3) + x2 * (y3 - y1) + x3 * (y1 - y2)
    q = rng.choice(
        (
            f"Find the area of the triangle with vertices $A({x1}, {y1})$, $B({x2}, {y2})$ and $C({x3}, {y3})$.",
            f"What is the area of triangle $ABC$ if $A = ({x1}, {y1})$, $B = ({x2}, {y2})$, $C = ({x3}, {y3})$?",
        )
    )
    ans = f"By the shoelace formula, $$S = \\frac12\\left|x_1(y_2 - y_3) + x_2(y_3 - y_1) + x_3(y_1 - y_2)\\right| = \\frac12\\cdot|{twice}| = {_frac(abs(twice), 2)}.$$"
    return q, ans


def q_taylor(rng: random.Random) -> tuple[str, str]:
    a, n = rng.randint(2, 5), rng.randint(3, 5)
    terms = " + ".join(
        ["1"]
        + [f"{_frac(a**k, factorial(k))}x^{{{k}}}" if k > 1 else f"{a}x" for k in range(1, n + 1)]
    )
    q = rng.choice(
        (
            f"Write down the Taylor polynomial of degree ${n}$ of $e^{{{a}x}}$ at $x = 0$.",
            f"What are the first ${n + 1}$ terms of the Maclaurin series of $e^{{{a}x}}$?",
        )
    )
    ans = f"Substitute $t = {a}x$ into $e^t = \\sum_{{k\\ge 0}} t^k/k!$. This gives $$e^{{{a}x}} \\approx {terms}.$$"
    return q, ans


def q_expectation(rng: random.Random) -> tuple[str, str]:
    n = rng.randint(4, 20)
    q = rng.choice(
        (
            f"A fair die has ${n}$ faces numbered $1$ to ${n}$. What are the mean and the variance of the number shown?",
            f"Let $X$ be uniform on $\\{{1, \\dots, {n}\\}}$. Compute $\\mathbb{{E}}X$ and $\\operatorname{{Var}}X$.",
        )
    )
    ans = (
        f"$\\mathbb{{E}}X = \\frac{{1}}{{{n}}}\\sum_{{k=1}}^{{{n}}} k = \\frac{{{n + 1}}}{{2}}$ and "
        f"$\\mathbb{{E}}X^2 = \\frac{{({n + 1})({2 * n + 1})}}{{6}}$, so $\\operatorname{{Var}}X = \\frac{{{n}^2 - 1}}{{12}} = {_frac(n * n - 1, 12)}$."
    )
    return q, ans


def q_divisors(rng: random.Random) -> tuple[str, str]:
    p, q_ = rng.choice(((2, 3), (2, 5), (3, 5), (2, 7), (3, 7), (5, 7)))
    a, b = rng.randint(1, 6), rng.randint(1, 4)
    n = p**a * q_**b
    q = rng.choice(
        (
            f"How many positive divisors does ${n}$ have?",
            f"Find the number of divisors of $N = {n}$.",
        )
    )
    ans = f"Factor $N = {p}^{{{a}}}\\cdot {q_}^{{{b}}}$. A divisor has the form ${p}^i {q_}^j$ with $0\\le i\\le {a}$ and $0\\le j\\le {b}$, so there are $({a}+1)({b}+1) = {(a + 1) * (b + 1)}$ divisors."
    return q, ans


def q_sqrt_irrational(rng: random.Random) -> tuple[str, str]:
    p = rng.choice((2, 3, 5, 7, 11, 13, 17, 19, 23))
    q = rng.choice(
        (
            f"Prove that $\\sqrt{{{p}}}$ is irrational.",
            f"Why is $\\sqrt{{{p}}}$ not a rational number?",
        )
    )
    ans = (
        f"Suppose $\\sqrt{{{p}}} = a/b$ with coprime integers $a, b$. Then $a^2 = {p}b^2$, so ${p}$ divides $a^2$ and, being prime, divides $a$."
        f" Writing $a = {p}c$ gives $b^2 = {p}c^2$, so ${p}$ also divides $b$, contradicting coprimality."
    )
    return q, ans


def q_pseries(rng: random.Random) -> tuple[str, str]:
    num, den = rng.choice(((1, 2), (3, 2), (2, 1), (3, 1), (4, 3), (2, 3), (5, 4), (1, 1)))
    p = _frac(num, den)
    conv = num > den
    q = rng.choice(
        (
            f"Does the series $\\sum_{{n=1}}^\\infty \\frac{{1}}{{n^{{{p}}}}}$ converge?",
            f"Determine whether $\\sum_{{n\\ge 1}} n^{{-{p}}}$ is convergent.",
        )
    )
    verdict = "converges" if conv else "diverges"
    ans = f"Compare with the integral $\\int_1^\\infty x^{{-{p}}}\\,dx$, which is finite exactly when the exponent is greater than $1$. Here the exponent is ${p}$, so the series {verdict}."
    return q, ans


def q_matmul(rng: random.Random) -> tuple[str, str]:
    a = [[rng.randint(-4, 6) for _ in range(2)] for _ in range(2)]
    b = [[rng.randint(-4, 6) for _ in range(2)] for _ in range(2)]
    c = [[sum(a[i][k] * b[k][j] for k in range(2)) for j in range(2)] for i in range(2)]

    def mat(m: list[list[int]]) -> str:
        return (
            "\\begin{pmatrix}"
            + "\\\\ ".join(" & ".join(str(v) for v in row) for row in m)
            + "\\end{pmatrix}"
        )

    q = rng.choice(
        (
            f"Compute the product $AB$ for $A = {mat(a)}$ and $B = {mat(b)}$.",
            f"Multiply ${mat(a)}{mat(b)}$.",
        )
    )
    ans = f"Entry $(i,j)$ of the product is the dot product of row $i$ of $A$ with column $j$ of $B$: $$AB = {mat(c)}.$$"
    return q, ans


def q_anagram(rng: random.Random) -> tuple[str, str]:
    word = rng.choice(
        (
            "BANANA",
            "LETTER",
            "STATISTICS",
            "MISSISSIPPI",
            "BOOKKEEPER",
            "COMMITTEE",
            "PEPPER",
            "ALGEBRA",
            "CALCULUS",
            "GEOMETRY",
            "PARALLEL",
        )
    )
    counts = Counter(word)
    total = factorial(len(word))
    den = 1
    parts = []
    for ch in sorted(counts):
        if counts[ch] > 1:
            den *= factorial(counts[ch])
            parts.append(f"{counts[ch]}!")
    q = rng.choice(
        (
            f"How many distinct arrangements of the letters of the word {word} are there?",
            f"In how many ways can the letters of {word} be rearranged?",
        )
    )
    denom = "\\cdot ".join(parts) if parts else "1"
    ans = f"The word has ${len(word)}$ letters with repeated letters counted by the multinomial formula: $$\\frac{{{len(word)}!}}{{{denom}}} = {total // den}.$$"
    return q, ans


LEMMA_MAKERS = (
    q_derivative,
    q_integral,
    q_quadratic,
    q_gcd,
    q_arith_series,
    q_geometric,
    q_limit,
    q_det,
    q_eigen,
    q_dice,
    q_binomial,
    q_modpow,
    q_linear_system,
    q_complex,
    q_log,
    q_induction,
    q_parts,
    q_triangle,
    q_taylor,
    q_expectation,
    q_divisors,
    q_sqrt_irrational,
    q_pseries,
    q_matmul,
    q_anagram,
)
