/**
 * An error the local service answers with, in the shape of its protocol. Thrown by operation handlers;
 * each protocol module turns it into the wire form the real service uses.
 */
export class ServiceFault extends Error {
  override readonly name = 'ServiceFault';
  readonly code: string;
  readonly status: number;
  /** awsQuery services classify faults as caller (`Sender`) or service (`Receiver`) side. */
  readonly side: 'Sender' | 'Receiver';

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
    this.side = status >= 500 ? 'Receiver' : 'Sender';
  }
}
