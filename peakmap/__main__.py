from peakmap.cli import main

main()
