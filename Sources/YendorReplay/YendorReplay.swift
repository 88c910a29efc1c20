// YendorReplay: see README.md's module map.
