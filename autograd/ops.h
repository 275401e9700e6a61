// ops.h — every op of hdiff, in one include.
//
// Ops come in two kinds, kept apart in each header:
//   * primitives compute their output with a kernel and attach a hand-written
//     backward right below (in the .cpp, the backward sits directly under the
//     forward it differentiates);
//   * composites are built from primitives, so autograd differentiates them for free.
// A few composites also exist as fused primitives for speed (silu, linear,
// group_norm); each such exception says so, and its test checks it against the
// composed version.
#pragma once

#include "autograd/autograd.h"
#include "autograd/ops_elementwise.h"
#include "autograd/ops_inplace.h"
#include "autograd/ops_reduce.h"
#include "autograd/ops_shape.h"
#include "autograd/ops_linalg.h"
#include "autograd/ops_conv.h"
#include "autograd/ops_norm.h"
#include "autograd/ops_loss.h"
#include "autograd/ops_fused.h"
