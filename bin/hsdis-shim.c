/*
 * Lets HotSpot (JDK 13 and later) print compiled code with Debian's libhsdis0-fcml.
 *
 * HotSpot looks up decode_instructions_virtual in hsdis-amd64.so; the Debian package's libhsdis.so.0 exports only
 * the older decode_instructions, which reads the instructions at the addresses it prints. HotSpot hands over the
 * code in place (buffer == start_va) when it prints an nmethod, so the older entry can serve the newer one; any
 * other request is declined (HotSpot then prints the bytes in hex). Built by bin/perfasm-setup.
 */
#include <dlfcn.h>
#include <stdint.h>

typedef void *(*event_callback)(void *stream, const char *event, void *arg);
typedef int (*printf_callback)(void *stream, const char *format, ...);
typedef void *(*legacy_decoder)(void *start, void *end, event_callback event, void *event_stream,
                                printf_callback print, void *print_stream, const char *options);

void *decode_instructions_virtual(uintptr_t start_va, uintptr_t end_va, unsigned char *buffer, uintptr_t length,
                                  event_callback event, void *event_stream, printf_callback print,
                                  void *print_stream, const char *options, int newline) {
    static legacy_decoder legacy;
    (void) end_va;
    (void) newline;
    if (legacy == 0) {
        void *library = dlopen("libhsdis.so.0", RTLD_NOW | RTLD_LOCAL);
        if (library == 0) {
            return 0;
        }
        legacy = (legacy_decoder) dlsym(library, "decode_instructions");
        if (legacy == 0) {
            return 0;
        }
    }
    if ((uintptr_t) buffer != start_va) {
        return 0;
    }
    return legacy(buffer, buffer + length, event, event_stream, print, print_stream, options);
}
