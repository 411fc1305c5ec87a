#ifndef BCE_CISAL_SHIM_H
#define BCE_CISAL_SHIM_H

// ISA-L's igzip: a faster deflate decoder than zlib's. Only built with the ISAL trait.
#include <isa-l/igzip_lib.h>

#endif
