package io.rowguard.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web page in a real browser (Debian's headless Chromium through ChromeDriver) against a real
 * capture with live traffic: the on-call path from the incidents screen to an applied backout,
 * checked in the database; the token the page asks for; screenshots under target/screenshots.
 */
class WebPageIT {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SHOTS = Path.of("target", "screenshots");

  @TempDir static Path dir;
  static ServedShop shop;
  WebDriver browser;
  WebDriverWait wait;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "Debian's chromium and chromium-driver are not installed (.ci/run installs them)");
    shop = ServedShop.start(dir);
    Files.createDirectories(SHOTS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (shop != null) {
      shop.close();
    }
  }

  @BeforeEach
  void openBrowser() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
    wait = new WebDriverWait(browser, Duration.ofSeconds(30));
  }

  @AfterEach
  void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  WebElement await(String css) {
    return wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(css)));
  }

  void shot(String name) throws Exception {
    Files.write(
        SHOTS.resolve(name + ".png"),
        ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
  }

  void noErrorShown() {
    assertThat(browser.findElements(By.id("error")))
        .as(() -> browser.findElement(By.id("main")).getText())
        .isEmpty();
  }

  @Test
  void onCallGoesFromIncidentsToAnAppliedBackoutAndTheDatabaseIsRepaired() throws Exception {
    shop.startTraffic();
    try {
      shop.testLoaderOverwritesOrders();
      String bad = ServeIT.awaitIncident(shop, "test-loader");
      browser.get(shop.base + "/#token=" + shop.token);
      WebElement first = await("table#incidents tbody tr");
      noErrorShown();
      assertThat(first.getAttribute("aria-label")).isEqualTo("transaction " + bad);
      assertThat(browser.findElements(By.cssSelector(".chart .outlier"))).isNotEmpty();
      shot("incidents");
      browser.manage().window().setSize(new Dimension(390, 844));
      shot("incidents-phone");
      browser.manage().window().setSize(new Dimension(1280, 800));
      browser.findElement(By.tagName("body")).sendKeys("t");
      shot("incidents-other-theme");
      browser.findElement(By.tagName("body")).sendKeys("t");

      // the keyboard: j selects the strangest transaction, Enter opens it
      browser.findElement(By.tagName("body")).sendKeys("j");
      browser.switchTo().activeElement().sendKeys(Keys.ENTER);
      await("#plan-backout");
      noErrorShown();
      assertThat(browser.findElements(By.cssSelector("table#changes tbody tr"))).hasSize(50);
      assertThat(browser.findElement(By.id("main")).getText()).contains("test-loader");
      shot("transaction");

      browser.findElement(By.id("plan-backout")).click();
      await("table#plan-rows");
      noErrorShown();
      assertThat(browser.findElements(By.cssSelector("table#plan-rows tbody tr"))).hasSize(50);
      shot("plan");
      WebElement apply = browser.findElement(By.id("apply"));
      browser.findElement(By.id("operator")).sendKeys("oncall");
      browser.findElement(By.id("reason")).sendKeys("INC-7: the test loader hit production");
      browser.findElement(By.id("confirm")).sendKeys("49");
      assertThat(apply.isEnabled()).as("a wrong count does not confirm").isFalse();
      browser.findElement(By.id("confirm")).sendKeys(Keys.BACK_SPACE, Keys.BACK_SPACE, "50");
      assertThat(apply.isEnabled()).isTrue();
      apply.click();
      WebElement applied = await("#applied");
      assertThat(applied.getText()).contains("50 update");
      shot("applied");
    } finally {
      shop.stopTraffic();
    }
    assertThat(ServeIT.queryInt(shop, "SELECT count(*) FROM orders WHERE status = 'test'"))
        .isZero();
    assertThat(
            ServeIT.queryInt(
                shop,
                "SELECT count(*) FROM orders WHERE id BETWEEN 101 AND 150 AND total = id * 1.5"))
        .isEqualTo(50);
  }

  @Test
  void thePageAsksForTheTokenAndRefusesAWrongOne() throws Exception {
    browser.get(shop.base + "/");
    WebElement input = await("#token");
    input.sendKeys("not-the-token");
    input.submit();
    WebElement refused = await(".login .error");
    assertThat(refused.getText()).contains("refused");
    assertThat(browser.findElements(By.cssSelector("table#incidents"))).isEmpty();
    shot("token");
    browser.findElement(By.id("token")).sendKeys(shop.token);
    browser.findElement(By.id("token")).submit();
    await("h1");
    wait.until(d -> !d.findElements(By.cssSelector(".segmented")).isEmpty());
    noErrorShown();
    Object kept = ((JavascriptExecutor) browser).executeScript("return localStorage.length");
    assertThat(kept).as("the token is kept for the tab only, never in localStorage").isEqualTo(0L);
  }

  @Test
  void aRowsTimelineAndTheAuditListAreOneClickApart() throws Exception {
    shop.pg.exec("UPDATE customers SET name = 'Ada' WHERE id = 7");
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!ServeIT.get(shop, "/api/history?table=customers&key=7").body().contains("Ada")) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(100);
    }
    browser.get(shop.base + "/#token=" + shop.token);
    await("h1");
    browser.findElement(By.linkText("Audit")).click();
    WebElement table = await("#f-table");
    table.sendKeys("customers");
    table.submit();
    wait.until(
        d ->
            !d.findElements(By.cssSelector("table#audit tbody tr")).isEmpty()
                && d.findElement(By.cssSelector("table#audit tbody tr")).getText().contains("Ada"));
    WebElement row = browser.findElement(By.cssSelector("table#audit tbody tr"));
    noErrorShown();
    shot("audit");
    row.click();
    WebElement timeline = await("ol.timeline");
    assertThat(browser.findElements(By.cssSelector("ol.timeline > li"))).hasSize(2);
    assertThat(timeline.getText()).contains("Ada").contains("customer 7");
    assertThat(browser.findElements(By.linkText("Roll back to this version…"))).hasSize(1);
    shot("row");
  }
}
