#include <archive.h>
#include <archive_entry.h>

/// AE_IFREG is a cast macro that Swift cannot import.
static const unsigned int archive_regular_file_type = AE_IFREG;
