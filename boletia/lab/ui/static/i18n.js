// The page's language and its messages, from the one catalogue (boletia/lab/i18n): the server
// puts them in the page (#boletia-messages); English, the source, when a message is missing.
const node = document.getElementById("boletia-messages");
const data = node ? JSON.parse(node.textContent) : { lang: "en", messages: {} };

export const LANG = data.lang;

// `msgid` translated, its {name} placeholders filled from `params`.
export function _(msgid, params = {}) {
  const text = data.messages[msgid] || msgid;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
