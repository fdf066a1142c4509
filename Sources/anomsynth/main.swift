import AnomSynthCLI
import CMallocTuning

anomsynth_tune_malloc()
AnomSynthCommand.runAndExit()
