/*
 * stack_floor: the memory floor of plex-oidc's library stack (adapted from the
 * peer-measurement scripts' stack_floor.c).
 *
 * Links exactly the libraries plex-oidc links (the Makefile's PKGS:
 * libmicrohttpd, jansson, libcurl, libcrypto), initializes each of them the
 * way plex-oidc does at start, and has plex-oidc's thread layout:
 *   - main thread: loads the RSA-2048 signing key from a PEM file
 *     (PEM_read_bio_PrivateKey, as src/jose/jwk.c does), one RAND_bytes, one
 *     jansson pack/dump, curl_global_init, then waits for SIGTERM;
 *   - one worker thread blocked in curl_multi_poll (the plex.tv client);
 *   - an MHD daemon on 127.0.0.1:PORT, internal epoll, thread pool of THREADS
 *     (plex-oidc: 2), same connection limits, answering a fixed body.
 * Whatever RSS this process shows is what the libraries and threads cost
 * before any provider code runs; the bench compares plex-oidc's idle RSS
 * with it.
 *
 *   gcc -O2 stack_floor.c -o stack_floor -pthread \
 *       $(pkg-config --cflags --libs libmicrohttpd jansson libcurl libcrypto)
 *   ./stack_floor 18082 DATA_DIR/signing-key.pem 2
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char body[] = "{\"issuer\":\"http://127.0.0.1\"}";
static volatile int stopping;

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **state)
{
	static int marker;
	struct MHD_Response *r;
	enum MHD_Result ret;

	(void)cls; (void)url; (void)method; (void)version; (void)upload;
	/* Queue on the second call: MHD 0.9.75 closes the connection otherwise. */
	if (*state == NULL) {
		*state = &marker;
		return MHD_YES;
	}
	if (*upload_size != 0) {
		*upload_size = 0;
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void *
worker(void *arg)
{
	CURLM *m = arg;

	while (!stopping)
		curl_multi_poll(m, NULL, 0, 60000, NULL);
	return NULL;
}

int
main(int argc, char **argv)
{
	unsigned short port = argc > 1 ? (unsigned short)atoi(argv[1]) : 18082;
	const char *keyfile = argc > 2 ? argv[2] : NULL;
	unsigned threads = argc > 3 ? (unsigned)atoi(argv[3]) : 2;
	unsigned char rnd[32];
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	EVP_PKEY *key = NULL;
	pthread_t th;
	sigset_t set;
	CURLM *multi;
	FILE *f;
	json_t *j;
	char *s;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit the mask */
	if (keyfile == NULL || (f = fopen(keyfile, "r")) == NULL) {
		fprintf(stderr, "usage: stack_floor PORT KEY.pem [THREADS]\n");
		return 2;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	RAND_bytes(rnd, sizeof rnd);
	j = json_pack("{s:s}", "a", "b");
	s = json_dumps(j, 0);
	free(s);
	json_decref(j);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	if (key == NULL || multi == NULL || pthread_create(&th, NULL, worker, multi) != 0)
		return 1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
	        MHD_USE_ERROR_LOG, port, NULL, NULL, &answer, NULL,
	    MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u,
	    MHD_OPTION_CONNECTION_LIMIT, 1024u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_END);
	if (d == NULL)
		return 1;
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	stopping = 1;
	curl_multi_wakeup(multi);
	pthread_join(th, NULL);
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	EVP_PKEY_free(key);
	return 0;
}
