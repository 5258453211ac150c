/* SPDX-License-Identifier: MIT */
#ifndef TCPSIM_TCPSIM_H
#define TCPSIM_TCPSIM_H

/* Everything an embedder needs, in one include. */

#include "tcpsim/mem.h"
#include "tcpsim/vtime.h"
#include "tcpsim/rng.h"
#include "tcpsim/evq.h"
#include "tcpsim/seg.h"
#include "tcpsim/net.h"
#include "tcpsim/world.h"
#include "tcpsim/err.h"
#include "tcpsim/knobs.h"
#include "tcpsim/tcp.h"
#include "tcpsim/host.h"
#include "tcpsim/sock.h"

/* The library's version string, e.g. "0.1.0". */
const char *tcpsim_version(void);

#endif
