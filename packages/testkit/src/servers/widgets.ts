// The same answers as the gateway emulator's built-in API, so a client test can switch servers.
export const widgetJson = '{"id":"1","value":"4.99"}';
export const widgetListJson = `[${widgetJson}]`;
