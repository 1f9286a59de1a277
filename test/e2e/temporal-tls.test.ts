/**
 * Kassa on a Temporal cluster that demands TLS with a client certificate (mTLS) and an API key: a
 * TLS terminator with throwaway certificates stands in front of the test's dev server, and a gRPC
 * proxy behind it records the headers that reach the cluster.
 */
import fs from 'node:fs';
import { Connection } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { connectClient, connectWorker, temporalConnectionOptions } from '../../src/temporal/connection';
import { paidPayment } from '../support/operations';
import { newShop, type Shop, startTestStack, type TestStack } from '../support/stack';
import { type Certificates, makeCertificates, startGrpcProxy, startTlsTerminator } from '../support/temporal-proxies';

jest.setTimeout(60_000);

const apiKey = 'kassa-test-api-key-0123456789';
let certificates: Certificates;
let recorder: Awaited<ReturnType<typeof startGrpcProxy>>;
let terminator: Awaited<ReturnType<typeof startTlsTerminator>>;

beforeAll(async () => {
  certificates = makeCertificates();
  recorder = await startGrpcProxy({ target: process.env.TEST_TEMPORAL_ADDRESS! });
  terminator = await startTlsTerminator({
    target: recorder.address,
    cert: fs.readFileSync(certificates.serverCert),
    key: fs.readFileSync(certificates.serverKey),
    ca: fs.readFileSync(certificates.ca),
  });
});

afterAll(async () => {
  await terminator?.close();
  await recorder?.close();
  certificates?.remove();
});

/** The variables an operator sets for a self-hosted cluster with mTLS. */
const mtlsEnv = (overrides: Record<string, string> = {}) => ({
  TEMPORAL_ADDRESS: terminator.address,
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: certificates.ca,
  TEMPORAL_TLS_SERVER_NAME: certificates.serverName,
  TEMPORAL_TLS_CLIENT_CERT_PATH: certificates.clientCert,
  TEMPORAL_TLS_CLIENT_KEY_PATH: certificates.clientKey,
  ...overrides,
});

test('with the server CA, server name, client certificate and key from the environment, the API client and the worker connection both reach the cluster', async () => {
  const settings = loadConfig(mtlsEnv({ TEMPORAL_API_KEY: apiKey })).temporal;
  const before = recorder.requests.length;
  const client = await connectClient(settings);
  const worker = await connectWorker(settings);
  try {
    const info = await client.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    const listed = await client.workflowService.listWorkflowExecutions({ namespace: 'default', pageSize: 1 });
    expect(listed.executions).toBeDefined();
    await worker.workflowService.getSystemInfo({});
  } finally {
    await client.close();
    await worker.close();
  }
  expect(terminator.authorizedClients).toContain('kassa-worker');
  const seen = recorder.requests.slice(before);
  expect(seen.map((request) => request.path)).toContain(
    '/temporal.api.workflowservice.v1.WorkflowService/ListWorkflowExecutions',
  );
  // Both connections present the API key as a bearer token on every call.
  expect(seen.length).toBeGreaterThanOrEqual(3);
  expect(new Set(seen.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${apiKey}`]));
});

test('without the client certificate the cluster refuses the connection', async () => {
  const settings = loadConfig(
    mtlsEnv({ TEMPORAL_TLS_CLIENT_CERT_PATH: '', TEMPORAL_TLS_CLIENT_KEY_PATH: '' }),
  ).temporal;
  expect(settings.tls?.clientCertPair).toBeUndefined();
  const errorsBefore = terminator.handshakeErrors.length;
  await expect(Connection.connect({ ...temporalConnectionOptions(settings), connectTimeout: '3s' })).rejects.toThrow();
  await expect(connectWorker(settings)).rejects.toThrow();
  expect(terminator.handshakeErrors.length).toBeGreaterThan(errorsBefore);
});

test('a server certificate from another CA is not trusted', async () => {
  const settings = loadConfig(mtlsEnv({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: certificates.otherCa })).temporal;
  await expect(Connection.connect({ ...temporalConnectionOptions(settings), connectTimeout: '3s' })).rejects.toThrow();
  await expect(connectWorker(settings)).rejects.toThrow();
});

test('a client key that does not belong to the client certificate stops startup naming the variable', () => {
  expect(() => loadConfig(mtlsEnv({ TEMPORAL_TLS_CLIENT_KEY_PATH: certificates.serverKey }))).toThrow(
    /^TEMPORAL_TLS_CLIENT_KEY_PATH: does not belong to the certificate of TEMPORAL_TLS_CLIENT_CERT_PATH$/,
  );
});

describe('Kassa started on the mTLS cluster', () => {
  let stack: TestStack;
  let shop: Shop;
  let clientsBefore: number;
  beforeAll(async () => {
    clientsBefore = terminator.authorizedClients.length;
    stack = await startTestStack(mtlsEnv());
    shop = await newShop(stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.close();
    await shop?.receiver.close();
  });

  test('takes a payment to paid: its API and its worker talk to Temporal only through TLS', async () => {
    expect(stack.kassa.config.temporal.tls?.clientCertPair).toBeDefined();
    expect(terminator.authorizedClients.length).toBeGreaterThanOrEqual(clientsBefore + 2);
    const paid = await paidPayment(stack, shop);
    expect(paid.status).toBe('paid');
    // The merchant's webhook, sent by an activity the worker polled for over the same connection.
    await shop.receiver.waitFor(1);
  });
});
