// YendorRewards: see README.md's module map.
