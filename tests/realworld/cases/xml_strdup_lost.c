/*
 * xml_strdup_lost - leak, libxml2, 20 B per iteration, unreachable: each
 * iteration parses a document, copies its session attribute with
 * xmlStrdup (19 characters + NUL) and forgets the previous copy: only the
 * newest one is still pointed to.
 */
#include "../rw_case.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

static const char rw_doc[] =
    "<session id=\"sess-0123456789abcd\"><user name=\"ann\"/><user name=\"bob\"/></session>";

/* The newest copy only: the older ones are lost. */
static xmlChar *volatile rw_last_session;

static void xml_strdup_lost_body(void *ctx) {
  xmlDocPtr doc;
  xmlChar *id;

  (void)ctx;
  doc = xmlReadMemory(rw_doc, (int)strlen(rw_doc), "session.xml", NULL, XML_PARSE_NONET);
  if (!doc) return;
  id = xmlGetProp(xmlDocGetRootElement(doc), BAD_CAST "id");
  if (id) {
    rw_last_session = xmlStrdup(id); /* the bug: never freed */
    xmlFree(id);
  }
  xmlFreeDoc(doc);
}

const rw_case rw_case_xml_strdup_lost = {
  "xml_strdup_lost", "libxml2", "leak", xmlInitParser, xml_strdup_lost_body, NULL,
};
