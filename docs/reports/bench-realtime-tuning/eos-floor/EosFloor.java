// The floor of an exactly-once consume-transform-produce loop on this machine, with Kafka's own Java
// client and no model (issue 12; docs/realtime.md, "The floor"). A paced producer (idempotent,
// acks=all) writes 408-byte "readings" that carry their send time; a read_committed consumer group
// with a transactional producer turns each into an output record of the forecast set's size, the
// consumed offsets committed in the same transaction; a read_committed reader measures send ->
// readable. One process, three threads; the topics (6 partitions each) are created under PREFIX.
// Usage: java -cp <kafka libs>:. EosFloor BOOTSTRAP PREFIX RATE SECONDS WARMUP_S OUT_BYTES [BACKLOG]
// RATE 0 with BACKLOG N: N readings written first, then the loop's throughput on that backlog.
// Environment: FLOOR_PER_PARTITION=1 one transactional producer per input partition, each
// partition's transaction on its own thread, as airq's forecaster does (else one transaction per
// poll, KIP-447 style); FLOOR_BACKOFF retry.backoff.ms of the transactional producer (Kafka's
// default 100); FLOOR_MIN_BYTES / FLOOR_WAIT fetch.min.bytes / fetch.max.wait.ms of the loop's
// consumer (1 / 5); FLOOR_POLL max.poll.records (250); BROKER_PID the broker's pid, whose CPU time
// (from /proc) is printed beside the client's for the loop's phase.
import java.time.Duration;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;
import org.apache.kafka.clients.admin.*;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class EosFloor {
  public static void main(String[] a) throws Exception {
    String bootstrap = a[0], prefix = a[1];
    int rate = Integer.parseInt(a[2]);
    int seconds = Integer.parseInt(a[3]);
    int warmupS = Integer.parseInt(a[4]);
    int outBytes = Integer.parseInt(a[5]);
    int backlog = a.length > 6 ? Integer.parseInt(a[6]) : 0;
    String in = prefix + ".in", out = prefix + ".out";
    Properties ap = new Properties();
    ap.put("bootstrap.servers", bootstrap);
    try (Admin admin = Admin.create(ap)) {
      admin.createTopics(List.of(new NewTopic(in, 6, (short) 1), new NewTopic(out, 6, (short) 1))).all().get();
    }
    AtomicBoolean stop = new AtomicBoolean(false);
    long total = rate > 0 ? (long) rate * (seconds + warmupS) : backlog;
    // the paced producer (idempotent, acks=all, like airq's)
    Properties pp = new Properties();
    pp.put("bootstrap.servers", bootstrap);
    pp.put("linger.ms", "0");
    pp.put("acks", "all");
    pp.put("enable.idempotence", "true");
    KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pp, new StringSerializer(), new ByteArraySerializer());
    byte[] pad = new byte[400];
    Arrays.fill(pad, (byte) 'x');
    Thread pt = new Thread(() -> {
      long start = System.nanoTime();
      for (long i = 0; i < total; i++) {
        if (rate > 0) {
          long due = start + i * 1_000_000_000L / rate;
          long wait = due - System.nanoTime();
          if (wait > 0) LockSupport_park(wait);
        }
        byte[] v = new byte[8 + pad.length];
        long now = System.nanoTime();
        for (int k = 0; k < 8; k++) v[k] = (byte) (now >>> (8 * k));
        System.arraycopy(pad, 0, v, 8, pad.length);
        producer.send(new ProducerRecord<>(in, "station-" + (i % 20), v));
      }
      producer.flush();
    });
    long[] lat = new long[(int) Math.min(total, 10_000_000)];
    AtomicInteger nLat = new AtomicInteger();
    AtomicLong copied = new AtomicLong();
    AtomicLong txns = new AtomicLong();
    long[] phase = new long[4];
    AtomicLong polls = new AtomicLong();
    long measureFrom = System.nanoTime() + warmupS * 1_000_000_000L;
    // the exactly-once loop
    Thread lt = new Thread(() -> {
      Properties cp = new Properties();
      cp.put("bootstrap.servers", bootstrap);
      cp.put("group.id", prefix + ".loop");
      cp.put("enable.auto.commit", "false");
      cp.put("isolation.level", "read_committed");
      cp.put("auto.offset.reset", "earliest");
      cp.put("fetch.max.wait.ms", System.getenv().getOrDefault("FLOOR_WAIT", "5"));
      cp.put("fetch.min.bytes", System.getenv().getOrDefault("FLOOR_MIN_BYTES", "1"));
      cp.put("max.poll.records", System.getenv().getOrDefault("FLOOR_POLL", "250"));
      Properties tp = new Properties();
      tp.put("bootstrap.servers", bootstrap);
      tp.put("linger.ms", "0");
      if (System.getenv("FLOOR_BACKOFF") != null) tp.put("retry.backoff.ms", System.getenv("FLOOR_BACKOFF"));
      boolean perPartition = System.getenv("FLOOR_PER_PARTITION") != null;
      Map<Integer, KafkaProducer<String, byte[]>> producers = new HashMap<>();
      java.util.function.IntFunction<KafkaProducer<String, byte[]>> producerOf = (p) ->
          producers.computeIfAbsent(perPartition ? p : -1, (k) -> {
            Properties q = new Properties();
            q.putAll(tp);
            q.put("transactional.id", prefix + ".txn" + (perPartition ? "." + k : ""));
            KafkaProducer<String, byte[]> t = new KafkaProducer<>(q, new StringSerializer(), new ByteArraySerializer());
            t.initTransactions();
            return t;
          });
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(cp, new StringDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of(in));
        while (!stop.get()) {
          long q0 = System.nanoTime();
          ConsumerRecords<String, byte[]> rs = c.poll(Duration.ofMillis(50));
          if (rs.isEmpty()) continue;
          long q1 = System.nanoTime();
          phase[0] += q1 - q0;
          // one transaction for the poll (KIP-447: the group's generation fences a zombie), or, as airq
          // does without KIP-447, one per partition on that partition's own transactional id, concurrently
          List<List<TopicPartition>> units = new ArrayList<>();
          if (perPartition) for (TopicPartition tp2 : rs.partitions()) units.add(List.of(tp2));
          else units.add(new ArrayList<>(rs.partitions()));
          List<Future<?>> done = new ArrayList<>();
          ConsumerGroupMetadata meta = c.groupMetadata();
          for (List<TopicPartition> unit : units) {
            KafkaProducer<String, byte[]> t = producerOf.apply(unit.get(0).partition());
            Runnable job = () -> {
              t.beginTransaction();
              Map<TopicPartition, OffsetAndMetadata> offs = new HashMap<>();
              for (TopicPartition tp2 : unit) {
                List<ConsumerRecord<String, byte[]>> l = rs.records(tp2);
                for (ConsumerRecord<String, byte[]> r : l) {
                  byte[] v = new byte[outBytes];
                  System.arraycopy(r.value(), 0, v, 0, 8);
                  t.send(new ProducerRecord<>(out, r.partition(), r.key(), v));
                }
                offs.put(tp2, new OffsetAndMetadata(l.get(l.size() - 1).offset() + 1));
              }
              t.sendOffsetsToTransaction(offs, meta);
              t.commitTransaction();
              txns.incrementAndGet();
            };
            if (units.size() == 1) job.run();
            else done.add(pool.submit(job));
          }
          for (Future<?> f : done) f.get();
          phase[3] += System.nanoTime() - q1;
          copied.addAndGet(rs.count());
          polls.incrementAndGet();
        }
      } catch (Exception e) {
        throw new RuntimeException(e);
      } finally {
        pool.shutdown();
        for (KafkaProducer<String, byte[]> t : producers.values()) t.close();
      }
    });
    // the read_committed reader
    AtomicLong read = new AtomicLong();
    AtomicLong lastRead = new AtomicLong();
    Thread rt = new Thread(() -> {
      Properties rp = new Properties();
      rp.put("bootstrap.servers", bootstrap);
      rp.put("group.id", prefix + ".reader");
      rp.put("enable.auto.commit", "false");
      rp.put("isolation.level", "read_committed");
      rp.put("auto.offset.reset", "earliest");
      rp.put("fetch.max.wait.ms", "5");
      try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(rp, new StringDeserializer(), new ByteArrayDeserializer())) {
        c.subscribe(List.of(out));
        while (read.get() < total && !stop.get()) {
          ConsumerRecords<String, byte[]> rs = c.poll(Duration.ofMillis(50));
          long now = System.nanoTime();
          for (ConsumerRecord<String, byte[]> r : rs) {
            byte[] v = r.value();
            long sent = 0;
            for (int k = 0; k < 8; k++) sent |= (v[k] & 0xffL) << (8 * k);
            if (sent >= measureFrom) {
              int i = nLat.getAndIncrement();
              if (i < lat.length) lat[i] = now - sent;
            }
          }
          if (!rs.isEmpty()) lastRead.set(now);
          read.addAndGet(rs.count());
        }
      }
    });
    long t0 = System.nanoTime();
    if (rate == 0) { pt.start(); pt.join(); }
    long tStart = System.nanoTime();
    long broker0 = brokerTicks();
    java.lang.management.OperatingSystemMXBean os0 = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long proc0 = ((com.sun.management.OperatingSystemMXBean) os0).getProcessCpuTime();
    lt.start();
    rt.start();
    if (rate > 0) pt.start();
    long deadline = System.nanoTime() + (seconds + warmupS + 120) * 1_000_000_000L;
    while (read.get() < total && System.nanoTime() < deadline) Thread.sleep(20);
    long tEnd = lastRead.get();
    long broker1 = brokerTicks();
    long proc1 = ((com.sun.management.OperatingSystemMXBean) os0).getProcessCpuTime();
    System.out.printf(Locale.ROOT, "{\"cpu_s_during_loop\":{\"client_process\":%.2f,\"broker\":%.2f}}%n", (proc1 - proc0) / 1e9, (broker1 - broker0) / 100.0);
    stop.set(true);
    lt.join();
    rt.join();
    producer.close();
    int n = Math.min(nLat.get(), lat.length);
    long[] s = Arrays.copyOf(lat, n);
    Arrays.sort(s);
    double secs = (tEnd - tStart) / 1e9;
    System.out.printf(Locale.ROOT,
        "{\"per_partition_transactions\":%b,\"min_bytes\":\"%s\",\"rate\":%d,\"readings\":%d,\"read\":%d,\"transactions\":%d,\"out_bytes\":%d,\"seconds\":%.3f,\"readings_per_s\":%.0f,\"measured\":%d,\"latency_ms_p50\":%.1f,\"latency_ms_p99\":%.1f,\"latency_ms_max\":%.1f,\"loop_ms_per_poll\":{\"poll\":%.2f,\"transactions\":%.2f}}%n",
        System.getenv("FLOOR_PER_PARTITION") != null, System.getenv().getOrDefault("FLOOR_MIN_BYTES", "1"),
        rate, total, read.get(), txns.get(), outBytes, secs, read.get() / secs, n,
        n == 0 ? Double.NaN : s[n / 2] / 1e6, n == 0 ? Double.NaN : s[(int) Math.min(n - 1, Math.ceil(0.99 * n) - 1)] / 1e6,
        n == 0 ? Double.NaN : s[n - 1] / 1e6,
        phase[0] / 1e6 / polls.get(), phase[3] / 1e6 / polls.get());
  }

  static long brokerTicks() {
    try {
      String st = new String(java.nio.file.Files.readAllBytes(java.nio.file.Path.of("/proc/" + System.getenv("BROKER_PID") + "/stat")));
      String[] f = st.substring(st.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (Exception e) { return -1; }
  }

  static void LockSupport_park(long nanos) {
    java.util.concurrent.locks.LockSupport.parkNanos(nanos);
  }
}
