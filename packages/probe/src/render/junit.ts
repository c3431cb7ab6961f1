import type { ProbeReport } from '../report.ts';

const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** JUnit XML: one testcase per check, for CI systems; warnings pass with the warning in system-out. */
export function renderJunit(result: ProbeReport): string {
  const failures = result.checks.filter((c) => c.status === 'fail').length;
  const skipped = result.checks.filter((c) => c.status === 'skip').length;
  const suite = escapeXml(`mtls-probe check ${result.target.url}`);
  const cases = result.checks.map((check) => {
    const open = `    <testcase classname="mtls-probe.${escapeXml(check.id.split('.')[0] ?? check.id)}" name="${escapeXml(check.id)}" time="${seconds(check.durationMs)}"`;
    const code = check.code === undefined ? '' : `${check.code}: `;
    switch (check.status) {
      case 'pass':
        return `${open}/>`;
      case 'skip':
        return `${open}>\n      <skipped message="${escapeXml(check.summary)}"/>\n    </testcase>`;
      case 'warn':
        return `${open}>\n      <system-out>${escapeXml(`warning ${code}${check.summary}\nhint: ${check.hint ?? ''}`)}</system-out>\n    </testcase>`;
      case 'fail':
        return `${open}>\n      <failure type="${escapeXml(check.code ?? 'FAILED')}" message="${escapeXml(`${code}${check.summary}`)}">${escapeXml(`hint: ${check.hint ?? ''}\n${JSON.stringify(check.details, null, 2)}`)}</failure>\n    </testcase>`;
    }
    return `${open}/>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="mtls-probe" tests="${result.checks.length}" failures="${failures}" skipped="${skipped}" time="${seconds(result.durationMs)}">`,
    `  <testsuite name="${suite}" tests="${result.checks.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${seconds(result.durationMs)}" timestamp="${result.startedAt}">`,
    // Circumstances a CI reader must not miss travel as suite properties.
    ...(result.insecure === true || result.error !== undefined || result.deadline !== undefined
      ? [
          '    <properties>',
          ...(result.insecure === true ? ['      <property name="insecure" value="true"/>'] : []),
          ...(result.error === undefined
            ? []
            : [
                `      <property name="error" value="${escapeXml(`${result.error.code}: ${result.error.message}`)}"/>`,
              ]),
          ...(result.deadline === undefined
            ? []
            : [`      <property name="max-time-ms" value="${result.deadline.maxTimeMs}"/>`]),
          '    </properties>',
        ]
      : []),
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
