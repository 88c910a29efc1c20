// Dungeon: see README.md's module map.
