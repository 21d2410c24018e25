module gocore/testdata

go 1.19
