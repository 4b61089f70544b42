/*
 * test_plex_id.c - the persisted X-Plex-Client-Identifier (plex_id.c):
 * created once (0600) and loaded after; replicas sharing data_dir and
 * starting at the same moment all end up with the one identifier that
 * won; a damaged file is reported, never replaced.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "plex/plex_id.h"
#include "t.h"

#define RACERS 8

struct racer {
	const char *dir;
	pthread_barrier_t *go;
	char id[PLEX_ID_SIZE];
	int rc;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->rc = plex_id_load_or_create(r->dir, r->id, sizeof(r->id));
	return NULL;
}

static void
rm_dir(const char *dir)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/plex-client-id", dir);
	unlink(p);
	rmdir(dir);
}

static void
test_create_then_load(void)
{
	char dir[] = "/tmp/test_plex_id.XXXXXX", p[256], a[PLEX_ID_SIZE], b[PLEX_ID_SIZE];
	struct stat st;
	char *log;

	if (mkdtemp(dir) == NULL) {
		T_CHECK(!"mkdtemp");
		return;
	}
	t_capture_start();
	T_EQ_INT(plex_id_load_or_create(dir, a, sizeof(a)), PO_OK);
	log = t_capture_end();
	T_CHECK(strstr(log, "created Plex client identifier") != NULL);
	free(log);
	T_EQ_INT(strlen(a), 36);
	T_CHECK(a[14] == '4');
	snprintf(p, sizeof(p), "%s/plex-client-id", dir);
	T_CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
	T_EQ_INT(plex_id_load_or_create(dir, b, sizeof(b)), PO_OK);
	T_EQ_STR(a, b);
	/* damaged: reported, not replaced */
	{
		FILE *f = fopen(p, "w");
		if (f) {
			fputs("x\n", f);
			fclose(f);
		}
	}
	T_LOGS(T_EQ_INT(plex_id_load_or_create(dir, b, sizeof(b)), PO_ERR_IO), "is empty or damaged");
	rm_dir(dir);
}

static void
test_replicas_starting_together(void)
{
	char dir[] = "/tmp/test_plex_id.XXXXXX";
	struct racer r[RACERS];
	pthread_t th[RACERS];
	pthread_barrier_t go;
	int i, same = 0;
	char *log;

	if (mkdtemp(dir) == NULL) {
		T_CHECK(!"mkdtemp");
		return;
	}
	pthread_barrier_init(&go, NULL, RACERS);
	t_capture_start();
	for (i = 0; i < RACERS; i++) {
		r[i] = (struct racer){ .dir = dir, .go = &go };
		pthread_create(&th[i], NULL, race, &r[i]);
	}
	for (i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	log = t_capture_end();
	for (i = 0; i < RACERS; i++)
		same += r[i].rc == PO_OK && strcmp(r[i].id, r[0].id) == 0;
	T_EQ_INT(same, RACERS);
	/* one winner, and no temporary file left behind */
	T_CHECK(strstr(log, "created Plex client identifier") != NULL);
	T_CHECK(strstr(strstr(log, "created") + 1, "created Plex client identifier") == NULL);
	free(log);
	pthread_barrier_destroy(&go);
	rm_dir(dir);
	T_CHECK(access(dir, F_OK) != 0); /* rmdir worked: the directory was empty */
}

int
main(void)
{
	T_RUN(test_create_then_load);
	T_RUN(test_replicas_starting_together);
	return T_DONE();
}
