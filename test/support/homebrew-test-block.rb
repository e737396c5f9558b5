# Runs a formula's `test do` block the way `brew test` does (Formula#run_test: a fresh testpath as
# the working directory and HOME), with just enough of Homebrew's formula DSL and Minitest's
# assertions to load the file. Not Homebrew: the shapes of what bridge's formula uses, and no more.
#   ruby homebrew-test-block.rb FORMULA.rb BIN_DIR TESTPATH
require "json"
require "pathname"

# Homebrew's Pathname#write (extend/pathname.rb): creates the parent directories, never overwrites.
class Pathname
  def write(content, *args)
    raise "Will not overwrite #{self}" if exist?

    dirname.mkpath
    File.write(to_s, content, *args)
  end
end

class Formula
  class << self
    attr_reader :test_block, :meta

    %i[desc homepage version license url sha256].each do |field|
      define_method(field) { |value| (@meta ||= {})[field] = value }
    end

    def on_macos = (yield if RUBY_PLATFORM.include?("darwin"))
    def on_linux = (yield if RUBY_PLATFORM.include?("linux"))
    def on_arm = (yield if RUBY_PLATFORM.match?(/arm64|aarch64/))
    def on_intel = (yield if RUBY_PLATFORM.match?(/x86_64|amd64/))
    def test(&block) = (@test_block = block)
  end

  attr_reader :bin, :testpath

  def initialize(bin, testpath)
    @bin = Pathname(bin)
    @testpath = Pathname(testpath)
  end

  def version = self.class.meta.fetch(:version)

  def shell_output(cmd, result = 0)
    out = `#{cmd}`
    raise "`#{cmd}` exited #{$?.exitstatus}, expected #{result}:\n#{out}" unless $?.exitstatus == result

    out
  end

  def assert_equal(expected, actual, msg = nil)
    raise msg || "expected #{expected.inspect}, got #{actual.inspect}" unless expected == actual
  end

  def assert_match(pattern, text, msg = nil)
    re = pattern.is_a?(Regexp) ? pattern : Regexp.new(Regexp.escape(pattern.to_s))
    raise msg || "expected #{text.inspect} to match #{re.inspect}" unless re.match?(text)
  end

  def refute_nil(value, msg = nil)
    raise msg || "expected a value, got nil" if value.nil?
  end
end

formula_file, bin_dir, testpath = ARGV
load formula_file
klass = Object.const_get(File.basename(formula_file, ".rb").capitalize)
raise "#{formula_file} has no `test do` block" unless klass.test_block

ENV["HOME"] = testpath
Dir.chdir(testpath) { klass.new(bin_dir, testpath).instance_eval(&klass.test_block) }
puts "test do: passed"
