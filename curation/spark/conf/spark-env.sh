# Sourced by spark-submit and spark-class when SPARK_CONF_DIR points here (make and the Python
# jobs set it). Under a C/POSIX locale (cron, bare containers) the JVM reads file names and
# command-line arguments as ASCII - Cyrillic becomes '?' before Python ever sees it - so Spark's
# JVM runs with a UTF-8 locale unless one is already set.
case "${LC_ALL:-${LC_CTYPE:-${LANG:-}}}" in
  *[Uu][Tt][Ff]-8* | *[Uu][Tt][Ff]8*) ;;
  *) export LC_ALL=C.UTF-8 ;;
esac
