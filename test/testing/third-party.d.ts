// Minimal typings of the two third-party DDP clients the fake server is tested with.

declare module 'simpleddp' {
  interface SimpleDdpOptions {
    endpoint: string;
    SocketConstructor: unknown;
    reconnectInterval?: number;
    autoConnect?: boolean;
    autoReconnect?: boolean;
    maxTimeout?: number;
  }
  interface SimpleDdpSubscription {
    ready(): Promise<void>;
    stop(): Promise<void>;
  }
  interface SimpleDdpListener {
    stop(): void;
  }
  class SimpleDDP {
    constructor(options: SimpleDdpOptions);
    connected: boolean;
    connect(): Promise<void>;
    disconnect(): Promise<void>;
    call(method: string, ...args: unknown[]): Promise<unknown>;
    subscribe(name: string, ...args: unknown[]): SimpleDdpSubscription;
    on(event: string, listener: (message: Record<string, unknown>) => void): SimpleDdpListener;
  }
  export default SimpleDDP;
}

declare module 'ddp.js' {
  interface DdpJsOptions {
    endpoint: string;
    SocketConstructor: unknown;
    autoConnect?: boolean;
    autoReconnect?: boolean;
    reconnectInterval?: number;
  }
  class DDP {
    constructor(options: DdpJsOptions);
    method(name: string, params: unknown[]): string;
    sub(name: string, params: unknown[]): string;
    unsub(id: string): void;
    connect(): void;
    disconnect(): void;
    on(event: string, listener: (message: Record<string, unknown>) => void): void;
  }
  export default DDP;
}
