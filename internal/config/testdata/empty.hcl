# Every setting has a default.
