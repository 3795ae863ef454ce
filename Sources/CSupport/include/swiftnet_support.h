// Small C helpers for the engine: what Swift cannot say directly on Linux.
#ifndef SWIFTNET_SUPPORT_H
#define SWIFTNET_SUPPORT_H

/// Tells the CPU that the caller is spin-waiting (x86 `pause`), so the sibling hyper-thread runs.
static inline void sn_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// The number of CPUs this process may run on (its affinity mask), or the online count.
__attribute__((visibility("hidden"))) int sn_available_cpus(void);

/// Registers `child` to run in the child process after fork(); returns 0 on success.
__attribute__((visibility("hidden"))) int sn_register_fork_child_handler(void (*child)(void));

#endif
