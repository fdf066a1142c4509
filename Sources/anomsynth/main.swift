import AnomSynthCLI
import CMallocTuning

KernelPin.apply()
anomsynth_tune_malloc()
AnomSynthCommand.runAndExit()
