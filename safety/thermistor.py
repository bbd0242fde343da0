"""NTC thermistor ADC counts -> deci-degrees C, in integers, for the guard.

Sensor: 100 kOhm at 25 C glass-bead NTC, Beta 4267 K (ATC Semitec 104GT-2, rated to
300 C), to ground, with a 4.7 kOhm 0.1 percent pull-up to the ADC reference (3.3 V), read
by a 12-bit ADC (count = 4095 R / (R + 4700)). The 4.7 kOhm pull-up puts about 4 counts
per degree at the cut-off temperature, where resolution matters most.

The table holds the Beta-equation temperature at every ADC_STEP counts; between entries
the guard interpolates linearly (error < 0.2 C from 60 to 250 C around the cut-off,
< 1.2 C over the whole plausible range -5..350 C; checked by
tests/test_thermistor.py, which regenerates the table from the equation).
Counts outside [ADC_MIN, ADC_MAX] are not temperatures but a shorted or open sensor.
"""

try:
    from micropython import const
except ImportError:
    def const(x):  # type: ignore[misc]  # CPython stand-in for the MicroPython built-in
        return x

ADC_STEP = const(16)
ADC_MIN = const(16)  # table start (~470 C): fewer counts is a shorted sensor
ADC_MAX = const(4064)  # table end (-8.6 C): more counts is an open sensor

BETA_K = 4267
R25_OHM = 100000
PULLUP_OHM = 4700
ADC_FULL_SCALE = 4095

# TABLE_DC[i] is the temperature at ADC count (i + 1) * ADC_STEP, in deci-degrees C.
TABLE_DC = (
    4737, 3925, 3526, 3269, 3083, 2939, 2823, 2725, 2641, 2568, 2504, 2446,
    2393, 2346, 2302, 2261, 2224, 2189, 2156, 2125, 2096, 2068, 2042, 2017,
    1993, 1971, 1949, 1928, 1908, 1889, 1870, 1853, 1835, 1819, 1802, 1787,
    1771, 1757, 1742, 1728, 1715, 1701, 1688, 1676, 1663, 1651, 1639, 1628,
    1617, 1606, 1595, 1584, 1574, 1563, 1553, 1543, 1534, 1524, 1515, 1506,
    1497, 1488, 1479, 1470, 1462, 1453, 1445, 1437, 1428, 1420, 1413, 1405,
    1397, 1389, 1382, 1375, 1367, 1360, 1353, 1346, 1339, 1332, 1325, 1318,
    1311, 1304, 1298, 1291, 1285, 1278, 1272, 1265, 1259, 1253, 1246, 1240,
    1234, 1228, 1222, 1216, 1210, 1204, 1198, 1192, 1186, 1181, 1175, 1169,
    1163, 1158, 1152, 1146, 1141, 1135, 1130, 1124, 1119, 1113, 1108, 1103,
    1097, 1092, 1086, 1081, 1076, 1070, 1065, 1060, 1055, 1049, 1044, 1039,
    1034, 1029, 1023, 1018, 1013, 1008, 1003, 998, 992, 987, 982, 977,
    972, 967, 962, 957, 951, 946, 941, 936, 931, 926, 921, 916,
    911, 905, 900, 895, 890, 885, 880, 875, 869, 864, 859, 854,
    849, 843, 838, 833, 828, 822, 817, 812, 806, 801, 795, 790,
    785, 779, 774, 768, 762, 757, 751, 746, 740, 734, 728, 723,
    717, 711, 705, 699, 693, 687, 681, 674, 668, 662, 656, 649,
    643, 636, 629, 623, 616, 609, 602, 595, 588, 580, 573, 566,
    558, 550, 542, 534, 526, 518, 509, 501, 492, 483, 473, 464,
    454, 444, 434, 423, 412, 401, 389, 377, 365, 352, 338, 324,
    309, 293, 276, 258, 239, 219, 196, 172, 145, 114, 79, 37,
    -15, -86, -201,
)


def adc_to_dc(adc):
    """Deci-degrees C for ADC counts in [ADC_MIN, ADC_MAX]; the caller range-checks first."""
    i = adc // ADC_STEP - 1
    lo = TABLE_DC[i]
    return lo + (TABLE_DC[i + 1] - lo) * (adc % ADC_STEP) // ADC_STEP
