// exp, log and atan2 from + - * / and sqrt only. The C libraries under the native
// and the WebAssembly builds (glibc, musl) may round their exp and atan2
// differently in the last bit; these give the same bits everywhere.
#pragma once

namespace facegender::detail {

// e^x; 0 below -745, where the double result underflows anyway.
double portable_exp(double x);

// ln x for x > 0 (NaN below 0 or for NaN, -inf at 0).
double portable_log(double x);

// The angle of (x, y) in radians, in [-pi, pi]; 0 for (0, 0).
double portable_atan2(double y, double x);

}  // namespace facegender::detail
