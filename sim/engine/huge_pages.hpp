#pragma once
// Transparent huge pages for the simulator's heap.
//
// A swarm's state is tens to hundreds of MiB touched at random (each event lands
// on another peer), so with 4 KiB pages most of those accesses also miss the TLB.
// glibc (2.35 and later) backs malloc's heap with transparent huge pages when
// its tunable glibc.malloc.hugetlb=1 is set, but reads tunables only when a
// program starts; use_huge_pages() therefore re-executes the program once with
// that tunable added to GLIBC_TUNABLES.
//
// 1. It does nothing (and returns) when GLIBC_TUNABLES already sets
//    glibc.malloc.hugetlb, when SWARMSIM_HUGE_PAGES=0, when the kernel's
//    transparent huge pages are "never", outside Linux, and in sanitizer builds
//    (their allocator ignores the tunable).
// 2. Results do not change, only where the heap lives (and the time it takes).
// 3. If the re-execution fails, the program goes on as it was started.

namespace swarmsim::sim {

// Call with main's argv (null-terminated) before the heap grows: swarmsim calls
// it once the command line is parsed, for the commands that simulate (run,
// sweep), not for the tracker, seed or download; bench_swarm at start.
// `program` is what gets executed (tests run another program in its place).
void use_huge_pages(char** argv, const char* program = "/proc/self/exe");

// Whether use_huge_pages() can take effect in this build on this machine (not a
// sanitizer build, Linux, the kernel's transparent huge pages not "never").
bool huge_pages_available();

}  // namespace swarmsim::sim
