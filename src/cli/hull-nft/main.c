/* hull-nft: applies the nftables script read from standard input in the caller's network
 * namespace, with libnftables. hull runs it for egress allow-lists (src/net/egress.c) from
 * inside the container's network namespace: `hull` itself is linked statically and does not
 * load libnftables (and its libmnl, libnftnl, libxtables, libgmp) into every command. */
#include <nftables/libnftables.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: hull-nft < SCRIPT\n"
    "\n"
    "Apply the nftables script on standard input in this network namespace (libnftables).\n"
    "On failure the first line of nft's error is printed and the exit status is 1.\n"
    "hull runs it for --egress-allow; it is not meant to be run by hand.\n";

int main(int argc, char **argv)
{
    if (argc > 1) {
        bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        fputs(usage, help ? stdout : stderr);
        return help ? 0 : 125;
    }
    size_t len = 0, cap = 4096;
    char *script = malloc(cap);
    size_t n;
    while (script && (n = fread(script + len, 1, cap - len - 1, stdin)) > 0) {
        len += n;
        if (cap - len - 1 == 0)
            script = realloc(script, cap *= 2);
    }
    if (script == NULL || ferror(stdin)) {
        fputs("hull-nft: cannot read the script\n", stderr);
        return 1;
    }
    script[len] = '\0';
    struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
    if (nft == NULL) {
        fputs("libnftables: no context\n", stderr);
        return 1;
    }
    nft_ctx_buffer_error(nft);
    nft_ctx_buffer_output(nft);
    if (nft_run_cmd_from_buffer(nft, script) != 0) {
        const char *m = nft_ctx_get_error_buffer(nft);
        m = m ? m : "";
        fprintf(stderr, "nft: %.*s\n", (int)strcspn(m, "\n"), m);
        return 1;
    }
    nft_ctx_free(nft);
    free(script);
    return 0;
}
