// Small pieces of the NetHack host that are simpler in C than through Swift's import of large
// fixed-size C arrays.

// Copies a shared library into an anonymous memory file, so each game can dlopen its own copy
// (NetHack keeps all its state in globals, and dlopen shares one image per inode).
#define _GNU_SOURCE
#include "cnethack.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

int ynh_private_copy(const char *path, char *out_path, unsigned long out_capacity) {
    int source = open(path, O_RDONLY | O_CLOEXEC);
    if (source < 0) return -1;
    struct stat st;
    if (fstat(source, &st) != 0) { int e = errno; close(source); errno = e; return -1; }
    int copy = memfd_create("libnethack.so", MFD_CLOEXEC);
    if (copy < 0) { int e = errno; close(source); errno = e; return -1; }
    off_t offset = 0;
    while (offset < st.st_size) {
        ssize_t n = sendfile(copy, source, &offset, (size_t)(st.st_size - offset));
        if (n <= 0) {
            int e = n == 0 ? EIO : errno;
            close(source); close(copy); errno = e; return -1;
        }
    }
    close(source);
    snprintf(out_path, out_capacity, "/proc/self/fd/%d", copy);
    return copy;
}

int ynh_settings_fill(ynh_settings *settings, const char *hackdir, const char *options, bool use_seeds,
                      unsigned long core_seed, unsigned long display_seed, bool fix_moon_phase) {
    memset(settings, 0, sizeof(*settings));
    if (strlen(hackdir) >= sizeof(settings->hackdir) || strlen(options) >= sizeof(settings->options)) return -1;
    strcpy(settings->hackdir, hackdir);
    strcpy(settings->options, options);
    settings->spawn_monsters = 1;
    if (use_seeds) {
        settings->initial_seeds.core = core_seed;
        settings->initial_seeds.disp = display_seed;
        settings->initial_seeds.use_initial_seeds = true;
        // With a fixed moon phase NetHack derives its clock (moon, Friday 13th, night) from this
        // seed, as NLE's Python layer sets it: core + 1.
        settings->fix_moon_phase = fix_moon_phase;
        settings->time_seed = core_seed + 1;
        settings->time_seed_is_set = fix_moon_phase;
    }
    return 0;
}

static const int ynh_game_signals[] = {SIGHUP, SIGXCPU};
#define YNH_GAME_SIGNAL_COUNT (sizeof(ynh_game_signals) / sizeof(ynh_game_signals[0]))
static struct sigaction ynh_inherited_actions[YNH_GAME_SIGNAL_COUNT];
static pthread_once_t ynh_signals_once = PTHREAD_ONCE_INIT;

static void ynh_signals_save(void) {
    for (size_t i = 0; i < YNH_GAME_SIGNAL_COUNT; i++) sigaction(ynh_game_signals[i], NULL, &ynh_inherited_actions[i]);
}

void ynh_signals_remember(void) { pthread_once(&ynh_signals_once, ynh_signals_save); }

void ynh_signals_restore(void) {
    pthread_once(&ynh_signals_once, ynh_signals_save);
    for (size_t i = 0; i < YNH_GAME_SIGNAL_COUNT; i++) sigaction(ynh_game_signals[i], &ynh_inherited_actions[i], NULL);
}
