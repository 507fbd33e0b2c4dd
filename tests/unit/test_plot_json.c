/* test_plot_json.c - the JSON-line reader of `tern plot` (tools/plot_json.c):
 * trace lines as docs/TRACE.md writes them, the escapes, and every kind of
 * broken line giving an error and its column instead of a crash. */
#include "tt.h"

#include "tools/plot_json.c"

static tern_json_doc doc;

static int parse(const char *text)
{
	static char buf[4096];
	snprintf(buf, sizeof buf, "%s", text);
	return tern_json_parse(buf, &doc);
}

TT_TEST(trace_line)
{
	TT_EQ(parse("{\"t\":20000,\"host\":\"a\",\"ev\":\"seg_in\",\"seq\":4294967295,\"ack\":0,"
		    "\"flags\":\"SA\",\"opts\":{\"mss\":1460,\"sackok\":true,\"ts\":[5,1],"
		    "\"sack\":[[1,2],[3,4]]}}"),
	      0);
	const tern_json_val *root = &doc.v[0];
	TT_EQ(root->type, TERN_JSON_OBJ);
	TT_EQ(tern_json_get(&doc, root, "t")->i, 20000);
	TT_EQ(tern_json_get(&doc, root, "seq")->i, 4294967295LL);
	TT_CHECK(!strcmp(tern_json_get(&doc, root, "flags")->s, "SA"));
	const tern_json_val *opts = tern_json_get(&doc, root, "opts");
	TT_CHECK(tern_json_get(&doc, opts, "sackok")->b);
	TT_EQ(tern_json_at(&doc, tern_json_get(&doc, opts, "ts"), 1)->i, 1);
	const tern_json_val *sack = tern_json_get(&doc, opts, "sack");
	TT_EQ(tern_json_at(&doc, tern_json_at(&doc, sack, 1), 0)->i, 3);
	TT_CHECK(tern_json_at(&doc, sack, 2) == NULL);
	TT_CHECK(tern_json_get(&doc, root, "missing") == NULL);
}

TT_TEST(escapes_and_numbers)
{
	TT_EQ(parse(" { \"s\" : \"a\\\"b\\\\c\\u00e9\\ud83d\\ude00\\n\" , \"x\":-1.5e2, \"n\":null,"
		    "\"f\":false, \"e\":[], \"o\":{} } "),
	      0);
	const tern_json_val *s = tern_json_get(&doc, &doc.v[0], "s");
	TT_CHECK(!strcmp(s->s, "a\"b\\c\xc3\xa9\xf0\x9f\x98\x80\n"));
	const tern_json_val *x = tern_json_get(&doc, &doc.v[0], "x");
	TT_CHECK(!x->is_int && x->d == -150.0);
	TT_EQ(tern_json_get(&doc, &doc.v[0], "n")->type, TERN_JSON_NULL);
	TT_EQ(tern_json_get(&doc, &doc.v[0], "e")->first, -1);
}

/* Each broken line fails with a message and the column where it broke. */
TT_TEST(broken_lines)
{
	static const struct {
		const char *text;
		size_t col;
	} bad[] = {
	    {"{\"t\":1,", 8},	       {"{\"t\":1,}", 8},    {"{\"t\" 1}", 6},
	    {"{\"t\":1x}", 7},	       {"{\"t\":\"abc", 10},  {"{\"t\":\"\\q\"}", 8},
	    {"{\"t\":tru}", 6},	       {"{\"t\":1} x", 9},   {"", 1},
	    {"{\"t\":-}", 7},	       {"[1,2", 5},	     {"{\"t\":\"\\u12G4\"}", 9},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (parse(bad[i].text) != -1 || !doc.err || doc.err_col != bad[i].col) {
			fprintf(stderr, "  '%s': err %s col %zu (want %zu)\n", bad[i].text,
				doc.err ? doc.err : "none", doc.err_col, bad[i].col);
			TT_CHECK(0);
		}
	}
}

TT_TEST(limits)
{
	char deep[200] = "", wide[8000] = "[";
	for (int i = 0; i < 40; i++)
		strcat(deep, "[");
	TT_EQ(parse(deep), -1);
	TT_CHECK(!strcmp(doc.err, "nested too deeply"));
	for (int i = 0; i < 600; i++)
		strcat(wide, i ? ",1" : "1");
	strcat(wide, "]");
	TT_EQ(parse(wide), -1);
	TT_CHECK(!strcmp(doc.err, "too many values in one line"));
}

TT_MAIN(trace_line, escapes_and_numbers, broken_lines, limits)
