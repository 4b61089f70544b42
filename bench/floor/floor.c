/* "Floor" server for the benchmark (adapted from the peer-measurement
 * scripts): libmicrohttpd answering every GET, and every POST once its body
 * is read, with one fixed ~1 KB JSON body (a discovery-like document),
 * response object built once and reused. POST gives the request cost floor
 * of a token exchange (same client, same headers and body, no work).
 * usage: floor PORT [THREADS]
 * THREADS > 0: MHD internal epoll thread pool of that size (default 2 = nproc)
 * THREADS = 0: MHD thread-per-connection (the mode ulfius/glewlwyd uses)    */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char BODY[] =
  "{\"issuer\":\"http://127.0.0.1:8080\",\"authorization_endpoint\":\"http://127.0.0.1:8080/auth\","
  "\"token_endpoint\":\"http://127.0.0.1:8080/token\",\"userinfo_endpoint\":\"http://127.0.0.1:8080/userinfo\","
  "\"jwks_uri\":\"http://127.0.0.1:8080/jwks\",\"end_session_endpoint\":\"http://127.0.0.1:8080/logout\","
  "\"scopes_supported\":[\"openid\",\"profile\",\"email\",\"offline_access\"],"
  "\"response_types_supported\":[\"code\"],\"response_modes_supported\":[\"query\",\"form_post\"],"
  "\"grant_types_supported\":[\"authorization_code\",\"refresh_token\"],"
  "\"subject_types_supported\":[\"public\"],\"id_token_signing_alg_values_supported\":[\"ES256\",\"EdDSA\",\"RS256\"],"
  "\"token_endpoint_auth_methods_supported\":[\"client_secret_basic\",\"client_secret_post\",\"private_key_jwt\"],"
  "\"token_endpoint_auth_signing_alg_values_supported\":[\"ES256\",\"EdDSA\",\"RS256\"],"
  "\"claims_supported\":[\"sub\",\"iss\",\"aud\",\"exp\",\"iat\",\"auth_time\",\"nonce\",\"name\",\"email\",\"email_verified\"],"
  "\"code_challenge_methods_supported\":[\"S256\"],\"claims_parameter_supported\":false,"
  "\"request_parameter_supported\":false,\"request_uri_parameter_supported\":false,"
  "\"authorization_response_iss_parameter_supported\":true,\"ui_locales_supported\":[\"en\"],"
  "\"service_documentation\":\"http://127.0.0.1:8080/docs\"}";

static struct MHD_Response *resp;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version,
                               const char *upload_data, size_t *upload_data_size, void **ptr) {
  static int first_call_marker;
  (void)cls; (void)url; (void)version; (void)upload_data;
  if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0) return MHD_NO;
  /* Queue on the second call: a response queued on the first call (headers
   * only) counts as "early" in MHD >= 0.9.74 and forces Connection: close. */
  if (*ptr == NULL) { *ptr = &first_call_marker; return MHD_YES; }
  if (*upload_data_size != 0) { *upload_data_size = 0; return MHD_YES; }
  return MHD_queue_response(c, MHD_HTTP_OK, resp);
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  int threads = argc > 2 ? atoi(argv[2]) : 2;
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  resp = MHD_create_response_from_buffer(sizeof BODY - 1, (void *)BODY, MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(resp, "Content-Type", "application/json");
  sigset_t set;
  sigemptyset(&set); sigaddset(&set, SIGTERM); sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, NULL); /* MHD threads inherit the mask */
  struct MHD_Daemon *d;
  if (threads > 0)
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL,
                         &handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
                         MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_END);
  else
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL,
                         (uint16_t)port, NULL, NULL, &handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                         MHD_OPTION_END);
  if (!d) { fprintf(stderr, "floor: MHD_start_daemon failed\n"); return 1; }
  fprintf(stderr, "floor: listening on 127.0.0.1:%d (%zu-byte body, threads=%d)\n", port, sizeof BODY - 1, threads);
  int sig;
  sigwait(&set, &sig);
  MHD_stop_daemon(d);
  MHD_destroy_response(resp);
  return 0;
}
