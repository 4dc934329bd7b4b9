import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { HarnessError } from './errors.js'
import type { RedisTlsMaterial } from './types.js'

const run = promisify(execFile)

/** EC P-256 keys: generated in milliseconds, unlike RSA. */
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

async function openssl(bin: string, dir: string, args: readonly string[]): Promise<void> {
  try {
    await run(bin, [...args], { cwd: dir, timeout: 20_000 })
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? ''
    throw new HarnessError(
      'E_HARNESS_START',
      `openssl ${args[0]} failed while generating test certificates in ${dir}: ${stderr.trim() || (error as Error).message}`,
      { cause: error },
    )
  }
}

async function issue(
  bin: string,
  dir: string,
  name: string,
  subject: string,
  extensions: readonly string[],
): Promise<void> {
  writeFileSync(join(dir, `${name}.ext`), `${extensions.join('\n')}\n`)
  await openssl(bin, dir, [
    'req',
    '-new',
    ...NEW_KEY,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ])
  await openssl(bin, dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    '7',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ])
}

/**
 * Generates, in `dir`, a throwaway CA, a server certificate for `127.0.0.1` and `localhost`
 * (serverAuth and clientAuth, since Redis nodes also use it to connect to each other), and a client
 * certificate, all signed by the CA. Runs the `openssl` CLI at `bin`.
 */
export async function createTlsMaterial(bin: string, dir: string): Promise<RedisTlsMaterial> {
  await openssl(bin, dir, [
    'req',
    '-x509',
    '-new',
    ...NEW_KEY,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '7',
    '-sha256',
    '-subj',
    '/CN=rediskit test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
  await Promise.all([
    issue(bin, dir, 'server', '/CN=localhost', [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]),
    issue(bin, dir, 'client', '/CN=rediskit test client', [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ]),
  ])
  const file = (name: string): string => join(dir, name)
  const read = (name: string): string => readFileSync(file(name), 'utf8')
  return {
    ca: read('ca.crt'),
    cert: read('server.crt'),
    key: read('server.key'),
    caFile: file('ca.crt'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
    clientCert: read('client.crt'),
    clientKey: read('client.key'),
    clientCertFile: file('client.crt'),
    clientKeyFile: file('client.key'),
  }
}
