// YendorLearner: see README.md's module map.
