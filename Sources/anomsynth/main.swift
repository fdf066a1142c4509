import AnomSynthCLI

AnomSynthCommand.main()
