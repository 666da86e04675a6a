/**
 * The parts of the peer DDP clients the benchmarks use (neither ships its own types).
 */
declare module 'ddp.js' {
  interface DdpJsOptions {
    endpoint: string;
    SocketConstructor: unknown;
    autoConnect?: boolean;
    autoReconnect?: boolean;
    reconnectInterval?: number;
  }
  interface DdpJsMessage {
    msg: string;
    id?: string;
    result?: unknown;
    error?: unknown;
    subs?: string[];
  }
  class DDP {
    constructor(options: DdpJsOptions);
    status: string;
    connect(): void;
    disconnect(): void;
    method(name: string, params: unknown[]): string;
    sub(name: string, params: unknown[], id?: string | null): string;
    unsub(id: string): string;
    on(event: string, listener: (message: DdpJsMessage) => void): this;
    once(event: string, listener: (message: DdpJsMessage) => void): this;
    off(event: string, listener: (message: DdpJsMessage) => void): this;
  }
  const exported: typeof DDP | { default: typeof DDP };
  export default exported;
}

declare module 'simpleddp' {
  interface SimpleDdpOptions {
    endpoint: string;
    SocketConstructor: unknown;
    autoConnect?: boolean;
    autoReconnect?: boolean;
    reconnectInterval?: number;
    maxTimeout?: number;
    clearDataOnReconnection?: boolean;
  }
  interface SimpleDdpSubscription {
    ready(): Promise<void>;
    stop(): Promise<void>;
  }
  class SimpleDDP {
    constructor(options: SimpleDdpOptions, plugins?: unknown[]);
    connected: boolean;
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    apply(method: string, args?: unknown[]): Promise<unknown>;
    subscribe(name: string, ...args: unknown[]): SimpleDdpSubscription;
  }
  const exported: typeof SimpleDDP | { default: typeof SimpleDDP };
  export default exported;
}
