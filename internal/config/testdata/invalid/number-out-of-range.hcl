# 37 bytes that took 164 s of CPU to evaluate before numbers beyond
# float64's range were refused (found by FuzzParse).
A = 666666 / 56666666E666666 / 5 # ERROR col 14: Number out of range
