import com.tdunning.math.stats.AbstractTDigest;
import com.tdunning.math.stats.MergingDigest;
import com.tdunning.math.stats.TDigest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * Drives com.tdunning:t-digest 3.2 for tests/integration/tdigest/test_java_mergingdigest.py.
 *
 * <p>Every mode reads stdin line by line and writes tab-separated lines to stdout; doubles are
 * printed with Double.toString, which round-trips exactly. Q... are the quantiles to report.
 *
 * <pre>
 * build Q...        each line: whitespace-separated numbers, added with add(x) to a fresh
 *                   MergingDigest(100); prints base64(asSmallBytes), base64(asBytes), size(),
 *                   centroidCount(), then quantile(q) for each Q
 * read Q...         each line: a base64 payload; MergingDigest.fromBytes, prints size(),
 *                   centroidCount(), then quantile(q) for each Q
 * merge SEEDS Q...  all lines: base64 payloads, fromBytes each, then add(TDigest) each into one
 *                   TDigest.createDigest(100) (as Heroic's TdigestMergingBucket does). add(TDigest)
 *                   shuffles centroids with the digest's own Random; SEEDS (comma-separated)
 *                   seeds it, one merge and one output line per seed: base64(asSmallBytes),
 *                   size(), centroidCount(), then quantile(q) for each Q
 * </pre>
 */
public final class DigestTool {
    private static final double COMPRESSION = 100;

    private DigestTool() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: DigestTool build|read|merge ...");
        }
        List<String> lines = readLines();
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        switch (args[0]) {
            case "build":
                build(lines, quantiles(args, 1), out);
                break;
            case "read":
                read(lines, quantiles(args, 1), out);
                break;
            case "merge":
                merge(lines, args[1].split(","), quantiles(args, 2), out);
                break;
            default:
                throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        out.flush();
    }

    private static void build(List<String> lines, double[] qs, PrintStream out) {
        for (String line : lines) {
            MergingDigest digest = new MergingDigest(COMPRESSION);
            for (String token : line.trim().split("\\s+")) {
                if (!token.isEmpty()) {
                    digest.add(Double.parseDouble(token));
                }
            }
            ByteBuffer small = ByteBuffer.allocate(digest.smallByteSize());
            digest.asSmallBytes(small);
            ByteBuffer verbose = ByteBuffer.allocate(digest.byteSize());
            digest.asBytes(verbose);
            StringBuilder row = new StringBuilder();
            row.append(base64(small)).append('\t').append(base64(verbose));
            describe(digest, qs, row);
            out.println(row);
        }
    }

    private static void read(List<String> lines, double[] qs, PrintStream out) {
        for (String line : lines) {
            MergingDigest digest = decode(line);
            StringBuilder row = new StringBuilder();
            row.append(digest.size()).append('\t').append(digest.centroidCount());
            for (double q : qs) {
                row.append('\t').append(digest.quantile(q));
            }
            out.println(row);
        }
    }

    private static void merge(List<String> lines, String[] seeds, double[] qs, PrintStream out)
            throws ReflectiveOperationException {
        for (String seed : seeds) {
            TDigest merged = TDigest.createDigest(COMPRESSION);
            shuffleSource(merged).setSeed(Long.parseLong(seed));
            for (String line : lines) {
                merged.add(decode(line));
            }
            ByteBuffer small = ByteBuffer.allocate(merged.smallByteSize());
            merged.asSmallBytes(small);
            StringBuilder row = new StringBuilder(base64(small));
            describe(merged, qs, row);
            out.println(row);
        }
    }

    /** The Random that AbstractTDigest.add(TDigest) shuffles centroids with. */
    private static Random shuffleSource(TDigest digest) throws ReflectiveOperationException {
        Field gen = AbstractTDigest.class.getDeclaredField("gen");
        gen.setAccessible(true);
        return (Random) gen.get(digest);
    }

    private static void describe(TDigest digest, double[] qs, StringBuilder row) {
        row.append('\t').append(digest.size()).append('\t').append(digest.centroidCount());
        for (double q : qs) {
            row.append('\t').append(digest.quantile(q));
        }
    }

    private static MergingDigest decode(String line) {
        return MergingDigest.fromBytes(ByteBuffer.wrap(Base64.getDecoder().decode(line.trim())));
    }

    private static String base64(ByteBuffer buf) {
        if (buf.hasRemaining()) {
            throw new IllegalStateException(buf.remaining() + " bytes of the buffer unwritten");
        }
        return Base64.getEncoder().encodeToString(buf.array());
    }

    private static double[] quantiles(String[] args, int from) {
        double[] qs = new double[args.length - from];
        for (int i = from; i < args.length; i++) {
            qs[i - from] = Double.parseDouble(args[i]);
        }
        return qs;
    }

    private static List<String> readLines() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (!line.isBlank()) {
                lines.add(line);
            }
        }
        return lines;
    }
}
