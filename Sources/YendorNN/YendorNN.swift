// YendorNN: see README.md's module map.
