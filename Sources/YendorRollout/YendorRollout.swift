// YendorRollout: see README.md's module map.
