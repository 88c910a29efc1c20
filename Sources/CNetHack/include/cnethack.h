// The C ABI of NLE 1.3.0's libnethack.so, declared for Yendor's host (Sources/NetHack).
//
// libnethack.so ships no headers. These declarations restate, field for field and in order, the
// structs its exported entry points take (NLE 1.3.0, include/nletypes.h), so that Swift can lay
// them out in memory. They must change whenever the pinned NLE version changes:
// NetHackLibrary checks the version before loading.
#ifndef YENDOR_CNETHACK_H
#define YENDOR_CNETHACK_H

#include <stdbool.h>
#include <stdio.h>

enum {
    YNH_ROWS = 21,          // map rows
    YNH_COLUMNS = 79,       // map columns
    YNH_MESSAGE_BYTES = 256,
    YNH_BLSTATS = 27,
    YNH_PROGRAM_STATE = 6,
    YNH_INTERNAL = 9,
    YNH_MISC = 3,
};

// Observation pointers the game writes into after every step; each may be NULL (not written).
typedef struct ynh_observation {
    int action;                        // in: the key to press
    int done;                          // out: the game is over
    char in_normal_game;
    int how_done;
    short *glyphs;                     // [21 * 79]
    unsigned char *chars;              // [21 * 79]
    unsigned char *colors;             // [21 * 79]
    unsigned char *specials;           // [21 * 79]
    long *blstats;                     // [27]
    unsigned char *message;            // [256], NUL-terminated
    int *program_state;                // [6]
    int *internal;                     // [9]
    short *inv_glyphs;                 // [55]
    unsigned char *inv_strs;           // [55 * 80]
    unsigned char *inv_letters;        // [55]
    unsigned char *inv_oclasses;       // [55]
    unsigned char *screen_descriptions;// [21 * 79 * 80]
    unsigned char *tty_chars;          // [24 * 80]
    signed char *tty_colors;           // [24 * 80]
    unsigned char *tty_cursor;         // [2]
    int *misc;                         // [3]
} ynh_observation;

typedef struct ynh_seeds {
    unsigned long core;
    unsigned long disp;
    char reseed;                       // NetHack's anti-TAS reseeding
    bool use_initial_seeds;
    unsigned long level_seed;
    bool use_level_seed;
} ynh_seeds;

typedef struct ynh_settings {
    char hackdir[4096];
    char score_prefix[4096];
    char options[32768];
    char wizkit[4096];
    int spawn_monsters;
    char ttyrec_name[4096];
    ynh_seeds initial_seeds;
    bool fix_moon_phase;
    unsigned long time_seed;
    bool time_seed_is_set;
} ynh_settings;

// Entry points, looked up with dlsym in each private copy of the library.
typedef void *(*ynh_start_fn)(ynh_observation *, FILE *, ynh_settings *);
typedef void *(*ynh_step_fn)(void *, ynh_observation *);
typedef void (*ynh_end_fn)(void *);
typedef void (*ynh_set_seed_fn)(void *, unsigned long, unsigned long, char, unsigned long);

/// Fills `settings` for a new game: zeroes it, then sets the game directory, NetHack's option
/// string and monster spawning; with `use_seeds`, the core and display seeds (no reseeding) and
/// whether the moon phase and the like derive from the seed (time seed core + 1) instead of the clock. Returns 0, or -1
/// when a string does not fit.
int ynh_settings_fill(ynh_settings *settings, const char *hackdir, const char *options, bool use_seeds,
                      unsigned long core_seed, unsigned long display_seed, bool fix_moon_phase);

/// A private copy of the library at `path` (an anonymous in-memory file), as a path dlopen accepts;
/// returns the file descriptor or -1 with errno set. Every copy of a path is made from one sealed
/// in-memory image of it, read once per process (`ynh_share_readonly_pages` maps that image).
int ynh_private_copy(const char *path, char *out_path, unsigned long out_capacity);

/// Maps the read-only segments (code, constants) of the copy `handle` dlopened from the process's
/// image of the library at `path` instead of the copy's own pages: the same bytes, so every game
/// runs one set of physical pages of code. With 64 games that is 2.2 MB of code in the caches
/// instead of 64 copies of it (a game step cost 6x more among 64 games than alone before, 3x
/// after: their globals still share the caches). Writable segments (globals, GOT) stay the copy's own. Returns 0, or -1 with errno
/// set; after a failure the copy's mappings may be incomplete: dlclose it.
int ynh_share_readonly_pages(void *handle, const char *path);

/// Remembers, once per process (before the first game starts), how the process handles SIGHUP and
/// SIGXCPU: a NetHack game sets them to be ignored when it ends (a terminal game must survive a
/// dropped line while it writes its records). `ynh_signals_restore` puts them back as remembered.
void ynh_signals_remember(void);
void ynh_signals_restore(void);

#endif
