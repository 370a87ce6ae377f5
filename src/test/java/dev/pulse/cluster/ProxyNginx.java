package dev.pulse.cluster;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * nginx in front of the nodes, round robin without stickiness, with the failover settings of
 * {@code server-config/nginx/nginx-cluster.conf}: a node that refuses is skipped at once (handshakes and requests
 * are retried on the next node), one failure takes it out for 10 s.
 */
final class ProxyNginx implements AutoCloseable {

    final int port;
    final URI http;
    final URI ws;
    final Path dir;
    private final Process process;

    private ProxyNginx(int port, Path dir, Process process) {
        this.port = port;
        this.http = URI.create("http://127.0.0.1:" + port + "/");
        this.ws = URI.create("ws://127.0.0.1:" + port + "/ws");
        this.dir = dir;
        this.process = process;
    }

    static String binary() {
        for (String c : new String[] {"/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"}) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        return null;
    }

    static ProxyNginx start(Path dir, int... upstreams) throws IOException, InterruptedException {
        int port = Procs.freePort();
        Files.createDirectories(dir.resolve("run"));
        StringBuilder servers = new StringBuilder();
        for (int u : upstreams) {
            servers.append("        server 127.0.0.1:").append(u).append(" max_fails=1 fail_timeout=10s;\n");
        }
        String conf = """
                daemon off;
                worker_processes 1;
                pid run/nginx.pid;
                error_log run/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path run/body;
                    proxy_temp_path run/proxy;
                    fastcgi_temp_path run/fastcgi;
                    uwsgi_temp_path run/uwsgi;
                    scgi_temp_path run/scgi;
                    map $http_upgrade $connection_upgrade { default upgrade; '' close; }
                    upstream pulse {
                        zone pulse 64k;
                %s    }
                    server {
                        listen 127.0.0.1:%d;
                        proxy_http_version 1.1;
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        proxy_set_header X-Forwarded-Proto $scheme;
                        proxy_connect_timeout 2s;
                        proxy_next_upstream_tries %d;
                        proxy_next_upstream_timeout 10s;
                        location ~ /ws$ {
                            proxy_pass http://pulse;
                            proxy_set_header Upgrade $http_upgrade;
                            proxy_set_header Connection $connection_upgrade;
                            proxy_next_upstream error timeout http_502 http_503;
                            proxy_read_timeout 75s;
                            proxy_send_timeout 75s;
                            proxy_buffering off;
                        }
                        location / {
                            proxy_pass http://pulse;
                            proxy_set_header Connection "";
                            proxy_next_upstream error timeout http_502 http_503;
                            proxy_read_timeout 10s;
                            proxy_send_timeout 10s;
                        }
                    }
                }
                """.formatted(servers, port, upstreams.length);
        Files.writeString(dir.resolve("nginx.conf"), conf, StandardCharsets.UTF_8);
        Process p = Procs.start(new ProcessBuilder(binary(), "-p", dir.toString(), "-c", "nginx.conf")
                .redirectErrorStream(true).redirectOutput(dir.resolve("run/stdout.log").toFile()));
        ProxyNginx nginx = new ProxyNginx(port, dir, p);
        boolean up = Procs.await(Duration.ofSeconds(15), Duration.ofMillis(50), () -> !p.isAlive() || listening(port));
        if (!up || !p.isAlive()) {
            nginx.close();
            throw new IllegalStateException("nginx did not start:\n" + Procs.tail(dir.resolve("run/stdout.log"), 20)
                    + "\n" + Procs.tail(dir.resolve("run/error.log"), 20));
        }
        return nginx;
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String errorLog() {
        return Procs.tail(dir.resolve("run/error.log"), 30);
    }

    @Override
    public void close() {
        Procs.stop(process, Duration.ofSeconds(10)); // SIGTERM: fast shutdown, the worker goes too
    }
}
