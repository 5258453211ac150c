/* SPDX-License-Identifier: MIT */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script_internal.h"

/*
 * Words are runs of anything but blanks, quotes and '#', so filters
 * (client>server F.), durations (1.5s), ranges (150ms..400ms) and percentages (5%)
 * are single words. Strings are double-quoted with C escapes. '#' starts a comment.
 */

static int add(struct tok **toks, int *n, int *cap, enum tok_kind k, const char *text,
	       size_t len, int col)
{
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 8;
		struct tok *t = realloc(*toks, (size_t)c * sizeof(*t));
		if (!t)
			return -ENOMEM;
		*toks = t;
		*cap = c;
	}
	char *s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, text, len);
	s[len] = '\0';
	(*toks)[(*n)++] = (struct tok){ k, s, len, col };
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int lex_line(const char *line, struct tok **toks, int *ntoks, int *errcol, char *msg,
	     size_t msglen)
{
	int cap = 0, rc = 0;
	const char *p = line;
	char *buf = NULL;

	*toks = NULL;
	*ntoks = 0;
	while (*p) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		int col = (int)(p - line) + 1;
		if (*p == '#')
			break;
		/* A brace is a block token only standing alone ("repeat 3 {", "}"); inside
		 * a word it is part of a name template such as c{i}. */
		bool alone = (*p == '{' || *p == '}') &&
			     (p == line || p[-1] == ' ' || p[-1] == '\t') &&
			     (!p[1] || p[1] == ' ' || p[1] == '\t' || p[1] == '\r' ||
			      p[1] == '\n' || p[1] == '#');
		if (alone) {
			rc = add(toks, ntoks, &cap, *p == '{' ? TOK_LBRACE : TOK_RBRACE, p, 1, col);
			p++;
		} else if (*p == '"') {
			size_t n = 0, cap_b = strlen(p) + 1;
			buf = malloc(cap_b);
			if (!buf)
				return -ENOMEM;
			p++;
			for (;;) {
				if (!*p || *p == '\n') {
					*errcol = col;
					snprintf(msg, msglen, "unterminated string: expected a closing \"");
					rc = -EINVAL;
					goto out;
				}
				if (*p == '"') {
					p++;
					break;
				}
				if (*p != '\\') {
					buf[n++] = *p++;
					continue;
				}
				const char *esc = p++;
				switch (*p) {
				case 'n': buf[n++] = '\n'; p++; break;
				case 't': buf[n++] = '\t'; p++; break;
				case 'r': buf[n++] = '\r'; p++; break;
				case '0': buf[n++] = '\0'; p++; break;
				case '\\': buf[n++] = '\\'; p++; break;
				case '"': buf[n++] = '"'; p++; break;
				case 'x': {
					int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
					if (hi < 0 || lo < 0) {
						*errcol = (int)(esc - line) + 1;
						snprintf(msg, msglen, "\\x must be followed by two hex digits");
						rc = -EINVAL;
						goto out;
					}
					buf[n++] = (char)(hi << 4 | lo);
					p += 3;
					break;
				}
				default:
					*errcol = (int)(esc - line) + 1;
					snprintf(msg, msglen, "unknown escape \\%c in a string: use \\n \\t "
						 "\\r \\0 \\\\ \\\" or \\xHH", *p ? *p : ' ');
					rc = -EINVAL;
					goto out;
				}
			}
			rc = add(toks, ntoks, &cap, TOK_STRING, buf, n, col);
			free(buf);
			buf = NULL;
		} else {
			const char *start = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' &&
			       *p != '"' && *p != '#')
				p++;
			size_t n = (size_t)(p - start);
			bool arrow = n == 2 && start[0] == '-' && start[1] == '>';
			rc = add(toks, ntoks, &cap, arrow ? TOK_ARROW : TOK_WORD, start, n, col);
		}
		if (rc)
			goto out;
	}
	return 0;
out:
	free(buf);
	toks_free(*toks, *ntoks);
	*toks = NULL;
	*ntoks = 0;
	return rc;
}

void toks_free(struct tok *toks, int n)
{
	for (int i = 0; i < n; i++)
		free(toks[i].text);
	free(toks);
}
