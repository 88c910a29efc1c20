import YendorCommandLine

await Yendor.runCommandLine()
