# Dates as the rest of the site writes them ("23 Nov 2026, 09:09"), not Django's US
# defaults ("Nov. 23, 2026, 9:09 a.m."): one way of writing a date on every page.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1
