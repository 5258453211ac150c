/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tcpsim/err.h"

#ifdef __linux__
/* On Linux the host's numbers are the table's; elsewhere only the table's are used. */
#define CHECK_NUMBER(name, num, msg) _Static_assert(name == num, #name " is not Linux's");
TCPSIM_ERRNO_LIST(CHECK_NUMBER)
#undef CHECK_NUMBER
#endif

struct err_entry {
	int code;
	int linux_number;
	const char *name;
	const char *message;
};

static const struct err_entry table[] = {
#define ENTRY(name, num, msg) { name, num, #name, msg },
	TCPSIM_ERRNO_LIST(ENTRY)
#undef ENTRY
};

static const char *const names[] = {
#define NAME(name, num, msg) #name,
	TCPSIM_ERRNO_LIST(NAME)
#undef NAME
	NULL
};

static const struct err_entry *find(int code)
{
	if (code < 0)
		code = -code;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == code)
			return &table[i];
	return NULL;
}

const char *err_name(int code)
{
	const struct err_entry *e = find(code);

	return e ? e->name : NULL;
}

const char *err_message(int code)
{
	const struct err_entry *e = find(code);

	return e ? e->message : "Unknown error";
}

int err_linux_number(int code)
{
	const struct err_entry *e = find(code);

	return e ? e->linux_number : 0;
}

int err_from_name(const char *name)
{
	if (strcmp(name, "EWOULDBLOCK") == 0)
		return EAGAIN;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (strcmp(table[i].name, name) == 0)
			return table[i].code;
	return 0;
}

const char *const *err_names(void)
{
	return names;
}
