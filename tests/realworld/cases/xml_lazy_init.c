/*
 * xml_lazy_init - leak-free, libxml2: the first parse initialises the
 * library (xmlInitParser: dictionaries, the global error state, the
 * character-encoding handlers, XPath's lazily built tables). Nothing calls
 * xmlInitParser up front, as most programs do not; the first iteration
 * pays for it. Each iteration parses a small document, runs an XPath query
 * over it and frees everything.
 */
#include "../rw_case.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <string.h>

static const char rw_doc[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
    "<room id=\"42\"><user name=\"ann\" level=\"3\"/><user name=\"bob\" level=\"7\"/>"
    "<gift id=\"9\" frames=\"32\">rocket</gift><chat>what a rocket!</chat></room>";

static void xml_lazy_init_body(void *ctx) {
  xmlDocPtr doc;
  xmlXPathContextPtr xp;
  xmlXPathObjectPtr users;

  (void)ctx;
  doc = xmlReadMemory(rw_doc, (int)strlen(rw_doc), "room.xml", NULL, XML_PARSE_NONET);
  if (!doc) return;
  xp = xmlXPathNewContext(doc);
  users = xp ? xmlXPathEvalExpression(BAD_CAST "//user[@level > 5]/@name", xp) : NULL;
  xmlXPathFreeObject(users);
  xmlXPathFreeContext(xp);
  xmlFreeDoc(doc);
}

static void xml_lazy_init_teardown(void) { xmlCleanupParser(); }

const rw_case rw_case_xml_lazy_init = {
  "xml_lazy_init", "libxml2", "pass", NULL, xml_lazy_init_body, xml_lazy_init_teardown,
};
