/**
 * A function's error message can quote the URL it called, and that URL carries the query secret the function
 * injected (the original Go function's `Get "https://host/path?access_token=…": …` does). Before such a message
 * is logged, every URL keeps its scheme, host and path and loses its query string.
 */
const URL_WITH_QUERY = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>`]*)\?[^\s#"'<>`]*/gi;

export function withoutQueryStrings(message: string): string {
  return message.replace(URL_WITH_QUERY, "$1?…");
}
