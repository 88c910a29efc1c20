// Small pieces of the NetHack host that are simpler in C than through Swift's import of large
// fixed-size C arrays.

// Copies a shared library into an anonymous memory file, so each game can dlopen its own copy
// (NetHack keeps all its state in globals, and dlopen shares one image per inode).
#define _GNU_SOURCE
#include "cnethack.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

// Copies `size` bytes of `source` from offset 0 into a new memory file; -1 with errno set.
static int ynh_memory_file(int source, off_t size, unsigned int flags) {
    int copy = memfd_create("libnethack.so", MFD_CLOEXEC | flags);
    if (copy < 0) return -1;
    off_t offset = 0;  // sendfile with an offset leaves `source`'s file position alone (threads share it)
    while (offset < size) {
        ssize_t n = sendfile(copy, source, &offset, (size_t)(size - offset));
        if (n <= 0) {
            int e = n == 0 ? EIO : errno;
            close(copy); errno = e; return -1;
        }
    }
    return copy;
}

// The process's sealed image of each library path (a handful at most), made on first use.
static pthread_mutex_t ynh_images_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { char path[4096]; int fd; off_t size; } ynh_images[8];
static int ynh_image_count = 0;

// The image of `path` (its descriptor and size); -1 with errno set.
static int ynh_image(const char *path, off_t *size) {
    pthread_mutex_lock(&ynh_images_lock);
    for (int i = 0; i < ynh_image_count; i++) {
        if (strcmp(ynh_images[i].path, path) == 0) {
            *size = ynh_images[i].size;
            int fd = ynh_images[i].fd;
            pthread_mutex_unlock(&ynh_images_lock);
            return fd;
        }
    }
    int fd = -1, e = 0, source = -1;
    struct stat st;
    if (strlen(path) >= sizeof(ynh_images[0].path) || ynh_image_count == 8) {
        e = ENAMETOOLONG;
    } else if ((source = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(source, &st) != 0) {
        e = errno;
    } else if ((fd = ynh_memory_file(source, st.st_size, MFD_ALLOW_SEALING)) < 0) {
        e = errno;
    } else if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        e = errno; close(fd); fd = -1;
    } else {
        strcpy(ynh_images[ynh_image_count].path, path);
        ynh_images[ynh_image_count].fd = fd;
        ynh_images[ynh_image_count].size = st.st_size;
        ynh_image_count++;
        *size = st.st_size;
    }
    if (source >= 0) close(source);
    pthread_mutex_unlock(&ynh_images_lock);
    if (fd < 0) errno = e;
    return fd;
}

int ynh_private_copy(const char *path, char *out_path, unsigned long out_capacity) {
    off_t size = 0;
    int image = ynh_image(path, &size);
    if (image < 0) return -1;
    int copy = ynh_memory_file(image, size, 0);
    if (copy < 0) return -1;
    snprintf(out_path, out_capacity, "/proc/self/fd/%d", copy);
    return copy;
}

struct ynh_object { uintptr_t base; const ElfW(Phdr) *headers; int count; };

static int ynh_find_object(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct ynh_object *object = data;
    if (info->dlpi_addr != object->base) return 0;
    object->headers = info->dlpi_phdr;
    object->count = info->dlpi_phnum;
    return 1;
}

int ynh_share_readonly_pages(void *handle, const char *path) {
    off_t size = 0;
    int image = ynh_image(path, &size);
    if (image < 0) return -1;
    struct link_map *map = NULL;
    if (dlinfo(handle, RTLD_DI_LINKMAP, &map) != 0 || map == NULL) { errno = EINVAL; return -1; }
    struct ynh_object object = { .base = map->l_addr, .headers = NULL, .count = 0 };
    if (!dl_iterate_phdr(ynh_find_object, &object) || object.headers == NULL) { errno = ENOENT; return -1; }
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < object.count; i++) {
        const ElfW(Phdr) *h = &object.headers[i];
        if (h->p_type != PT_LOAD || (h->p_flags & PF_W) || h->p_filesz != h->p_memsz) continue;
        if ((h->p_vaddr - h->p_offset) % page != 0 || h->p_offset + h->p_filesz > (uint64_t)size) continue;
        uintptr_t start = h->p_vaddr & ~(page - 1);
        uintptr_t end = (h->p_vaddr + h->p_filesz + page - 1) & ~(page - 1);
        // Never a page a writable segment also maps (the loader maps it from the copy, and writes it).
        for (int j = 0; j < object.count; j++) {
            const ElfW(Phdr) *w = &object.headers[j];
            if (w->p_type != PT_LOAD || !(w->p_flags & PF_W)) continue;
            uintptr_t ws = w->p_vaddr & ~(page - 1), we = (w->p_vaddr + w->p_memsz + page - 1) & ~(page - 1);
            if (ws < end && we > start) {
                if (ws <= start) start = we < end ? we : end; else end = ws;
            }
        }
        if (end <= start) continue;
        int prot = PROT_READ | ((h->p_flags & PF_X) ? PROT_EXEC : 0);
        void *at = (void *)(object.base + start);
        off_t offset = (off_t)(start - (h->p_vaddr - h->p_offset));  // the file offset of `start`
        void *mapped = mmap(at, end - start, prot, MAP_PRIVATE | MAP_FIXED, image, offset);
        if (mapped == MAP_FAILED) return -1;
    }
    return 0;
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
